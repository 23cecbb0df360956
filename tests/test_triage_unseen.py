"""Triage of what no lexicon entry spells out: symptoms written as they sound, with two slips,
or said in words the lexicon has only the idea of (a patient at 2 a.m. does not write the
phrase list)."""

from __future__ import annotations

import pytest

from config.settings import DEFAULT_TRIAGE
from hub.triage import load_triager
from hub.triage.classify import Triager
from hub.triage.fuzzy import Fuzzy, distance, sound_key


@pytest.fixture(scope="module")
def triager() -> Triager:
    return load_triager(DEFAULT_TRIAGE)


@pytest.mark.parametrize(("written", "meant"), [
    ("bomitando", "vomitando"), ("corason", "corazon"), ("cabesa", "cabeza"),
    ("desmallo", "desmayo"), ("inconsiente", "inconsciente"), ("preshure", "pressure"),
])
def test_a_word_written_as_it_sounds_or_with_two_slips_reads_as_the_lexicons(
        triager, written, meant):
    assert triager.lexicon.canonical([written]) == [meant]


def test_words_the_lexicon_has_no_likeness_of_stay_as_written(triager):
    words = ["appointment", "pharmacy", "prescription", "hello", "your", "refill"]
    assert triager.lexicon.canonical(words) == words


def test_a_mother_writes_at_2am_that_her_son_is_bomitando_sangre_and_it_pages(triager):
    result = triager.classify("mi hijo esta bomitando sangre mucha")
    assert result.urgent and result.guidance == "911"


def test_the_sound_key_and_the_edit_distance_agree_with_a_reader():
    assert sound_key("vomitando") == sound_key("bomitando")
    assert sound_key("llamar") == sound_key("yamar")
    assert distance("breath", "braeth") == 1 and distance("unconsious", "unconscious") == 1
    assert Fuzzy(["inconsciente"]).word("inconsiente") == "inconsciente"
    assert Fuzzy(["inconsciente"]).word("incoherente") is None


def test_a_weight_gain_written_with_decimals_is_read_not_a_crash(triager):
    """"3.9 lbs more" once raised in the reading of weight gains (int of "3.9")."""
    result = triager.classify("weight 3.9 lbs more than yesterday")
    assert [r.value for r in result.readings if r.kind == "weight_gain_day"] == [3.9]
