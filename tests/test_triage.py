"""Triage as a nurse would check it: messages as people write them at night, the labelled
sets, and the edges (empty, huge, emoji, other scripts)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from config.settings import DEFAULT_TRIAGE
from hub.triage import load_triager
from hub.triage.classify import TriageConfigError, Triager
from hub.triage.labelled import classify_row
from hub.triage.plan_rules import PlanRule

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def triager() -> Triager:
    return load_triager(DEFAULT_TRIAGE)


def labelled(name: str) -> list[dict[str, str]]:
    return [json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize("text", [
    "chest pian since dinner",
    "CANT BREATH GOOD TONIGHT",
    "moms face is drooping on one side and she talks funny",
    "dad passed out in the bathroom",
    "my sugar is forty two and im shaky",
    "bp one ninety over one twenty and my head is pounding",
    "dolor de pecho muy fuerte",
    "no puedo respirar",
    "mi esposo habla raro y tiene la cara caida",
    "can I get my refill also my chest has been hurting since dinner",
    "meter says HI",
])
def test_a_red_flag_is_urgent_however_it_is_written(triager, text):
    result = triager.classify(text)
    assert result.urgent and result.guidance == "911", result


@pytest.mark.parametrize("text", [
    "i want to die", "I don't want to wake up tomorrow", "quiero morirme",
    "pienso en hacerme daño", "my husband says he wants to kill himself",
])
def test_thoughts_of_suicide_or_self_harm_get_988(triager, text):
    result = triager.classify(text)
    assert result.urgent and result.guidance == "988"
    assert "flag:suicide_or_self_harm" in result.fired


def test_a_denial_never_hides_another_red_flag(triager):
    assert triager.classify("no chest pain but I can't breathe").urgent
    assert triager.classify("not sure if this is chest pain").urgent


def test_a_negation_never_lowers_priority_on_its_own(triager):
    assert triager.classify("no chest pain today, just need my refill").urgent
    assert triager.classify("no relief from the nitro, chest still tight").urgent


def test_a_long_past_event_is_routine_and_says_what_it_set_aside(triager):
    past = triager.classify("the chest pain I had last month was checked in the ER, follow up?")
    assert not past.urgent and past.set_aside == ("flag:chest_pain",)
    assert triager.classify("chest pain since last week").urgent  # ongoing, not past


def test_a_practice_may_choose_to_set_plain_denials_aside(tmp_path):
    path = tmp_path / "triage.toml"
    path.write_text(DEFAULT_TRIAGE.read_text().replace("discount_denied = false",
                                                       "discount_denied = true"))
    lenient = load_triager(path)
    result = lenient.classify("no chest pain today, just need my refill")
    assert not result.urgent and result.set_aside == ("flag:chest_pain",)
    assert lenient.classify("no chest pain but I can't breathe").urgent


def test_a_crisis_is_never_set_aside(triager):
    assert triager.classify("no, i dont want to live anymore").guidance == "988"


def test_dangerous_readings_are_urgent_and_normal_ones_are_not(triager):
    assert triager.classify("sugar 45").fired == ("reading:glucose_low",)
    assert triager.classify("glucose 452 after dinner").fired == ("reading:glucose_high",)
    assert triager.classify("bp 185/125").fired == ("reading:bp_high",)
    assert triager.classify("bp 70/40 and dizzy").fired == ("reading:bp_low",)
    for routine in ("bp 128/82 this morning", "sugar 112 fasting", "appointment 3/15 at 10"):
        assert not triager.classify(routine).urgent, routine


def test_the_care_plans_own_thresholds_make_a_reading_urgent_for_that_patient(triager):
    plan = [PlanRule("R1", "weight_gain_day", 3), PlanRule("R2", "glucose_above", 300)]
    assert triager.classify("gained 4 lbs since yesterday", plan).plan_rules == ("R1",)
    assert triager.classify("sugar 320 tonight", plan).plan_rules == ("R2",)
    assert not triager.classify("sugar 320 tonight").urgent  # under the 400 for everyone
    # "weight 190" against a weight of 186 reported 20 hours ago
    assert triager.classify("weight 190 this morning", plan, [(20.0, 186.0)]).urgent
    assert not triager.classify("weight 187 this morning", plan, [(20.0, 186.0)]).urgent


def test_a_threshold_alone_tells_the_plan_and_a_red_flag_beside_it_still_says_911(triager):
    plan = [PlanRule("R2", "glucose_above", 300)]
    assert triager.classify("sugar 320 tonight", plan).guidance == "plan"
    assert triager.classify("sugar 320 and chest pain", plan).guidance == "911"
    assert triager.classify("sugar 450 tonight", plan).guidance == "911"  # dangerous for anyone


def test_an_empty_message_is_routine_and_asks_for_details(triager):
    for empty in ("", "   ", None, "?!", "👍"):
        result = triager.classify(empty)
        assert result.urgency == "routine"
    assert triager.classify("").needs_details


@pytest.mark.parametrize("text", [
    "x" * 20_000, "😭" * 20_000, "Привет 你好 مرحبا " * 1000, "\x00\x01\x1b[31m" * 3000,
    "no chest pain, " * 1300, "sugar 45 " * 2200, "one two three " * 1400,
])
def test_hostile_bodies_are_classified_without_a_crash(triager, text):
    assert triager.classify(text).urgency in ("urgent", "routine")


def test_an_emergency_at_the_end_of_a_long_message_is_found(triager):
    assert triager.classify("refill question. " * 1000 + "now my chest hurts bad").urgent


def test_every_emergency_of_the_labelled_set_is_urgent_and_most_routine_ones_are_not(triager):
    """Each row triaged for its own patient: a row's plan gives the rules and profiles. The
    development set is the first labelled file and the files written since by other writers
    (triage_dev_*.jsonl: English conditions, Spanish caregivers, hard cases)."""
    rows = labelled("triage_messages.jsonl") + [
        row for path in sorted(DATA.glob("triage_dev_*.jsonl")) for row in labelled(path.name)]
    assert len(rows) >= 1500
    assert sum(bool(r.get("plan")) for r in rows) >= 400
    missed = [r["id"] for r in rows if r["label"] != "routine"
              and not classify_row(triager, r).urgent]
    assert missed == []
    routine = [r for r in rows if r["label"] == "routine"]
    false_alarms = [r for r in routine if classify_row(triager, r).urgent]
    assert 1 - len(false_alarms) / len(routine) >= 0.90
    crisis = [r for r in rows if r["label"] == "crisis"]
    assert all(classify_row(triager, r).guidance == "988" for r in crisis)


def test_a_bad_lexicon_is_refused_naming_the_entry(tmp_path):
    path = tmp_path / "triage.toml"
    path.write_text(DEFAULT_TRIAGE.read_text().replace('any = ["overdose"]', 'any = ["ovredose"]'))
    with pytest.raises(TriageConfigError, match="unknown concept 'ovredose'"):
        load_triager(path)


def test_two_workers_read_misspellings_alike_whatever_their_hash_seed():
    """Every misspelling resolves to the same word in every process (gunicorn workers, hosts):
    the spelling table must not follow Python's per-process hash seed."""
    import os
    import subprocess
    import sys

    script = ("import hashlib; from config.settings import DEFAULT_TRIAGE; "
              "from hub.triage import load_triager; t = load_triager(DEFAULT_TRIAGE); "
              "print(hashlib.sha256(repr(sorted(t.lexicon.spelling.items())).encode())"
              ".hexdigest())")
    digests = {subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                              env={**os.environ, "PYTHONHASHSEED": seed}, check=True,
                              cwd=Path(__file__).parents[1]).stdout
               for seed in ("1", "2", "3", "4")}
    assert len(digests) == 1
