"""Routine messages that read like emergencies to a word list: money in Spanish ("300
dolares" is not "dolores"), a craving ("hes dying for a beer"), an anniversary of a past event
("first time since the heart attack in june"), a sheet's instruction quoted back, a dose of
juice in a plan's self-care step. Each is left to the nurse; the real thing still pages."""

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
    "me cobraron 300 dolares por una placa del pecho, me explican la cuenta?",
    "my dad says hes dying for a beer after his surgery, ok with his pain meds?",
    "walked the whole block today! first time since the heart attack in june",
    "grandpas speech has been slow ever since his stroke 2 years ago, same as always",
])
def test_a_routine_message_that_reads_like_an_emergency_stays_routine(triager, text):
    assert not triager.classify(text).urgent, triager.classify(text).fired


@pytest.mark.parametrize("text", [
    "tengo muchos dolores en el pecho desde anoche",
    "im dying, cant breathe",
    "chest pain ever since dinner and its getting worse",
])
def test_the_real_thing_still_pages(triager, text):
    assert triager.classify(text).urgent


def test_a_reading_compared_with_the_plan_in_a_question_is_not_a_second_reading(triager):
    plan = rules_from(["Llame si el numero de arriba de la presion esta sobre 180 o debajo de 90"])
    text = "la presion de papa 94/62 esta manana, se siente normal. eso esta arriba de 90 verdad?"
    assert not triager.classify(text, plan).urgent
    assert triager.classify("la presion de mi papa 84/52 esta manana", plan).urgent


def test_a_self_care_step_with_an_amount_of_juice_gives_no_rule():
    """"bajo 70 tome 4 onzas de jugo" once read as a sugar rule of 72 (4 mmol/L)."""
    assert derive("Si su azucar esta bajo 70 tome 4 onzas de jugo y vuelva a medir") == []
    assert [(d.metric, d.threshold) for d in derive(
        "Llame si su azucar esta por debajo de 70 despues de 4 onzas de jugo")] == [
        ("glucose_below", 70.0)]
