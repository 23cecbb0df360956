"""Emergencies told by what the writer sees: a vision gone "like a curtain", an incision that
popped open, a feeding tube that came out, diarrhea after immunotherapy, an elder who was fine
at lunch and now talks to the dead, ketones a strip reads moderate, a fever with a spreading
redness or a belly pain. And the readings patients quote back from their sheet."""

from __future__ import annotations

import pytest

from config.settings import DEFAULT_TRIAGE
from hub.triage import load_triager
from hub.triage.classify import Triager
from hub.triage.instructions import derive
from hub.triage.labelled import rules_from


@pytest.fixture(scope="module")
def triager() -> Triager:
    return load_triager(DEFAULT_TRIAGE)


@pytest.mark.parametrize("text", [
    "half my vision is just gone on the right side, started an hour ago",
    "something like a curtain over my left eye since I woke up",
    "my incision popped open and theres something bulging out",
    "se me abrio la herida de la operacion y sale liquido",
    "the wound from my c section opened up and i can see fat",
    "his feeding tube fell out and we cant get it back in",
    "started keytruda last month and now i have watery diarrhea all day",
    "mom was totally normal at breakfast and now shes talking to people who arent there",
    "las cetonas salieron moderadas y el azucar en 320",
    "my foot is red up to the ankle now, temp 101.3",
    "terrible belly pain low on the left and a temp of 101.8",
])
def test_an_emergency_told_by_what_is_seen_pages_with_911(triager, text):
    result = triager.classify(text)
    assert result.urgent and result.guidance == "911", result.fired


@pytest.mark.parametrize("text", [
    "can i reschedule my vision appointment? i am missing work that day",
    "one of my stitches came out but the wound looks closed and dry",
    "ketones negative, sugar 180, feeling fine",
    "belly ache after tacos, temp 99.1, otherwise ok",
])
def test_their_look_alikes_stay_routine(triager, text):
    assert not triager.classify(text).urgent


def test_breathless_lying_down_in_a_dialysis_patient_is_fluid_overload(triager):
    dialysis = triager.profile([("N18.6", "end-stage kidney disease on hemodialysis")])
    text = "drank too much at the party and now i cant lie down without coughing"
    assert "flag:dialysis_fluid_overload" in triager.classify(text, patient=dialysis).fired
    assert "flag:dialysis_fluid_overload" not in triager.classify(text).fired


@pytest.mark.parametrize("text", [
    "bp 166/94 after work, 158/92 after resting. plan says over 180/110 so im ok?",
    "la presion me dio 132/80, el papel dice llamar si pasa de 170/100",
])
def test_a_threshold_quoted_from_the_sheet_is_not_a_reading(triager, text):
    plan = rules_from(["Call if your blood pressure is above 180/110"])
    result = triager.classify(text, plan)
    assert not result.urgent, result.fired


def test_a_reading_written_with_a_comparison_word_still_counts(triager):
    assert triager.classify("my sugar is over 450 and i feel awful").urgent


def test_a_plan_that_says_above_one_figure_or_below_another_gives_both_rules():
    """"arriba de 350 o abajo de 70" once read as "above 70": every normal sugar paged."""
    rules = [(d.metric, d.threshold) for d in derive(
        "Llame si el azúcar está arriba de 350 o abajo de 70")]
    assert rules == [("glucose_above", 350.0), ("glucose_below", 70.0)]
    assert [(d.metric, d.threshold) for d in derive(
        "Llame si el pulso está arriba de 120 o abajo de 50")] == [
        ("pulse_above", 120.0), ("pulse_below", 50.0)]


def test_an_instruction_to_check_something_is_not_a_reason_to_page():
    assert derive("Revise cetonas si el azúcar está arriba de 250") == []
    assert derive("Test your blood sugar if over 300 twice, drink water") == []
    assert derive("Check your sugar and call if it is over 300")[0].threshold == 300.0


def test_a_sugar_that_came_down_is_judged_by_where_it_came_to(triager):
    plan = rules_from(["Call if your sugar is above 250"])
    assert not triager.classify("pump alarm, changed the site, sugar came down from 260 to 180",
                                plan).urgent


def test_a_weight_gain_in_tenths_of_a_pound_is_read(triager):
    plan = rules_from(["Call if weight goes up more than 3 lb in a day"])
    assert triager.classify("up 4.6 lbs since yesterday", plan).urgent
