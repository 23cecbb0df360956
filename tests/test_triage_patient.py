"""Triage for the patient's own problems and plan, and crisis language by meaning: a heart-
failure patient whose plan says to call at 3 lb a day, a COPD patient's blue lips, a diabetic's
vomiting with a high sugar, a fall on a blood thinner, and "me quiero morir" said many ways."""

from __future__ import annotations

import pytest

from config.settings import DEFAULT_TRIAGE
from hub.triage import load_triager
from hub.triage.classify import TriageConfigError, Triager
from hub.triage.instructions import derive, not_understood
from hub.triage.labelled import rules_from


@pytest.fixture(scope="module")
def triager() -> Triager:
    return load_triager(DEFAULT_TRIAGE)


def rules(*texts: str) -> list[tuple[str, float]]:
    return [(d.metric, d.threshold) for text in texts for d in derive(text)]


@pytest.mark.parametrize(("instruction", "expected"), [
    ("Call if weight up more than 3 lb in a day or 5 lb in a week",
     [("weight_gain_day", 3), ("weight_gain_week", 5)]),
    ("llame si sube más de 3 libras en un día o 5 libras en una semana",
     [("weight_gain_day", 3), ("weight_gain_week", 5)]),
    ("Call if you gain more than three pounds in one day", [("weight_gain_day", 3)]),
    ("Call if weight gain of 2-3 lbs overnight", [("weight_gain_day", 2)]),
    ("Call if you gain 2 kg in a week", [("weight_gain_week", 4.4)]),
    ("call if sugar over 300 or under 70", [("glucose_above", 300), ("glucose_below", 70)]),
    ("Llame si el azúcar está arriba de 300 o debajo de 70",
     [("glucose_above", 300), ("glucose_below", 70)]),
    ("Call if blood sugar less than 4 mmol/L", [("glucose_below", 72)]),
    ("SpO2 below 90", [("spo2_below", 90)]),
    ("llame si su oxígeno baja de 88", [("spo2_below", 88)]),
    ("Call if BP > 180/110", [("bp_systolic_above", 180), ("bp_diastolic_above", 110)]),
    ("Report systolic blood pressure below 90", [("bp_systolic_below", 90)]),
])
def test_a_care_plans_plain_words_become_its_thresholds(instruction, expected):
    assert rules(instruction) == expected
    assert not not_understood(instruction)


def test_an_instruction_the_hub_cannot_read_is_said_to_be_not_understood():
    assert not_understood("Call the clinic if your peak flow is under 200")
    assert not_understood("Llame si tiene mareos al levantarse")
    assert not not_understood("Weigh yourself every morning and write it down")  # no instruction


def test_a_heart_failure_patient_at_4_lb_with_breathlessness_lying_down_is_urgent(triager):
    plan = rules_from(["Call if weight up more than 3 lb in a day or 5 lb in a week"])
    hf = triager.profile([("I50.9", "Heart failure, unspecified")], ["furosemide 40 mg"])
    text = "up 4 lbs since yesterday and i cant breathe good when i lie down"
    result = triager.classify(text, plan, (), hf)
    assert result.urgent and result.plan_rules == ("R1",)
    assert "flag:heart_failure_orthopnea" in result.fired
    # the same breathlessness lying down from a patient without heart failure stays routine
    assert not triager.classify("i get a bit winded lying down lately", (), (), frozenset()).urgent
    assert triager.classify("i get a bit winded lying down lately", (), (), hf).urgent


@pytest.mark.parametrize(("conditions", "medications", "text", "flag"), [
    ([("I50.22", None)], [], "my legs swelled up all of a sudden", "heart_failure_swelling"),
    ([(None, "Congestive heart failure")], [], "ankles puffy and put on 4 pounds",
     "heart_failure_swelling"),
    ([("J44.9", "COPD")], [], "dads lips look kind of blue", "copd_cyanosis"),
    ([("13645005", None)], [], "too winded to talk, inhaler every hour", "copd_cant_talk"),
    ([(None, "EPOC")], [], "mi mama tiene la boca morada", "copd_cyanosis"),
    ([("E11.9", "Type 2 diabetes")], [], "throwing up since noon, sugar 310",
     "diabetes_vomiting_high_sugar"),
    ([(None, "Diabetes mellitus tipo 2")], [], "estoy vomitando y tengo el azucar alta",
     "diabetes_vomiting_high_sugar"),
    ([(None, "Atrial fibrillation")], ["Eliquis 5 mg"], "grandpa bumped his head on the cabinet",
     "anticoagulated_head_strike"),
    ([], ["warfarin 5 mg"],
     "slipped in the garden this morning and later noticed i had hit the back of my head",
     "anticoagulated_head_strike"),
])
def test_symptoms_urgent_for_the_patients_own_problems(triager, conditions, medications, text,
                                                       flag):
    patient = triager.profile(conditions, medications)
    assert f"flag:{flag}" in triager.classify(text, (), (), patient).fired
    assert f"flag:{flag}" not in triager.classify(text).fired  # not for just anyone
    assert triager.classify(text).asks_patient  # intake then looks up the patient


def test_a_stopped_problem_or_an_unrelated_one_gives_no_profile(triager):
    assert triager.profile([("I10", "Essential hypertension")], ["lisinopril"]) == frozenset()
    assert triager.profile([], ["Xarelto 20 mg"]) == {"anticoagulated"}


@pytest.mark.parametrize("text", [
    "me quiero morir", "ya no quiero vivir", "tengo ganas de morirme", "quisiera morirme ya",
    "ojala me muriera esta noche", "no quiero despertar mañana", "soy una carga para todos",
    "quiero acabar con todo", "pienso en quitarme la vida", "quiero hacerme daño",
    "me qiero morir", "ya no qiero bivir", "i feel like dying", "i hope i dont wake up",
    "im such a burden to everyone", "i just want to end it", "wish i could sleep forever",
    "i wanna dye",
])
def test_crisis_language_by_its_verbs_and_idioms_is_answered_with_988(triager, text):
    result = triager.classify(text)
    assert result.urgent and result.guidance == "988", text


@pytest.mark.parametrize("text", [
    "me muero de hambre, a que hora como", "me muero de ganas de ver a mis nietos",
    "dying to know my results", "this heat is killing me", "i want to dye my hair",
])
def test_figures_of_speech_about_dying_are_not_a_crisis(triager, text):
    assert not triager.classify(text).urgent


def test_fear_of_dying_is_an_emergency_or_routine_not_a_crisis(triager):
    assert triager.classify("I feel like im going to die, chest is crushing").guidance == "911"
    assert not triager.classify("i hope i dont die in surgery tomorrow").urgent
    assert not triager.classify("I wish this rash would disappear").urgent
    assert triager.classify("i just want to disappear").guidance == "988"


def test_a_denial_of_a_crisis_still_gets_988(triager):
    assert triager.classify("no, ya no quiero vivir").guidance == "988"


def test_figures_of_speech_set_a_red_flag_aside_but_a_real_one_beside_them_stays(triager):
    figure = triager.classify("LOL this portal gives me a heart attack again, reset pls")
    assert not figure.urgent
    assert triager.classify("this portal gives me a heart attack and now my chest hurts").urgent
    assert not triager.classify("casi me da un infarto cuando vi la cuenta").urgent
    assert triager.classify("creo que me esta dando un infarto").urgent


def test_a_flag_for_an_unknown_profile_is_refused(tmp_path):
    path = tmp_path / "triage.toml"
    path.write_text(DEFAULT_TRIAGE.read_text().replace('when = "copd"', 'when = "cpod"', 1))
    with pytest.raises(TriageConfigError, match="unknown patient profile 'cpod'"):
        load_triager(path)
