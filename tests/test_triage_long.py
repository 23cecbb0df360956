"""Long messages as they arrive: a caregiver's rambling letter, a pasted thread, a hostile
20,000-character body. Every word is read (an emergency buried in the middle still pages),
and the work stops once the answer cannot change."""

from __future__ import annotations

import random
import string

import pytest

from config.settings import DEFAULT_TRIAGE
from hub.triage import load_triager
from hub.triage.classify import Triager
from hub.triage.fuzzy import TWO_EDITS_PER_MESSAGE, Fuzzy
from hub.triage.labelled import rules_from
from hub.triage.pieces import PIECE_CHARS, pieces

RAMBLE = ("so the pharmacy called again about the refill and i told them the doctor sent it "
          "last week, then my sister came over and we talked about the garden for a while. ")


@pytest.fixture(scope="module")
def triager() -> Triager:
    return load_triager(DEFAULT_TRIAGE)


@pytest.mark.parametrize(("emergency", "guidance"), [
    ("and now my chest hurts really bad and my left arm is numb", "911"),
    ("mi hijo esta bomitando sangre mucha", "911"),  # by sound, past the first 400 words
    ("honestly i just want to die, i cant do this anymore", "988"),
])
def test_a_long_rambling_message_with_the_emergency_buried_in_the_middle_is_urgent(
        triager, emergency, guidance):
    text = RAMBLE * 60 + emergency + ". " + RAMBLE * 60
    assert len(text) > 15_000
    result = triager.classify(text)
    assert result.urgent and result.guidance == guidance


def test_a_combination_split_across_two_pieces_is_still_found(triager):
    """"my chest" at the end of one piece and "hurts" at the start of the next: the next
    piece is read with the last words of the one before in front."""
    for shift in range(0, 60, 7):
        text = "x" * shift + " " + "refill please " * 142 + "my chest really " + "hurts " * 3
        text += "refill please " * 200
        assert len(list(pieces(text))) > 1
        assert triager.classify(text).urgent, shift


def test_a_crisis_after_an_emergency_in_a_long_letter_is_still_told_988(triager):
    text = "my chest hurts. " + RAMBLE * 80 + "and im saving up my pills to end it"
    assert triager.classify(text).guidance == "988"


def test_a_care_plan_reading_first_and_a_red_flag_later_in_a_long_letter_says_911(triager):
    plan = rules_from(["Call if your blood sugar is over 300"])
    text = "sugar 320 this morning. " + RAMBLE * 40 + "and now she passed out"
    result = triager.classify(text, plan)
    assert result.urgent and result.guidance == "911"
    assert "plan:R1" in result.fired


def test_a_long_routine_letter_stays_routine(triager):
    assert len(RAMBLE * 60) > PIECE_CHARS
    assert not triager.classify(RAMBLE * 60).urgent


def test_a_body_of_invented_words_costs_a_bounded_number_of_spelling_searches(monkeypatch):
    """The two-edit search (the costly step) runs for at most a budget of new long words a
    message; words once read are remembered, so the same words cost nothing next time."""
    fuzzy = Fuzzy(["inconsciente", "respirar", "vomitando"])
    searched: list[str] = []
    original = fuzzy._two_edits
    monkeypatch.setattr(fuzzy, "_two_edits", lambda w: searched.append(w) or original(w))
    rng = random.Random(4)
    invented = list(dict.fromkeys("".join(rng.choice(string.ascii_lowercase) for _ in range(10))
                                  for _ in range(1000)))
    fuzzy.words(invented)
    assert len(searched) == TWO_EDITS_PER_MESSAGE
    searched.clear()
    assert fuzzy.words(["vomitandoo", "qwertyuiop"]) == {"vomitandoo": "vomitando"}
    assert fuzzy.words(["vomitandoo", "qwertyuiop"]) == {"vomitandoo": "vomitando"}
    assert searched == ["qwertyuiop"]  # searched once (the other is read by sound), then kept
