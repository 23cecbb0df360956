"""Triage of what no lexicon entry spells out: symptoms written as they sound, with two slips,
or said in words the lexicon has only the idea of (a patient at 2 a.m. does not write the
phrase list)."""

from __future__ import annotations

import pytest

from config.settings import DEFAULT_TRIAGE
from hub.triage import load_triager
from hub.triage.classify import Triager
from hub.triage.fuzzy import Fuzzy, distance, sound_key
from hub.triage.labelled import rules_from


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


def test_real_words_are_not_read_as_symptoms(triager):
    """"doing" is one letter from "dying", "great" a sound from "breath": they stay words."""
    assert not triager.classify("dad is doing great, just need his refill").urgent
    assert not triager.classify("the swelling in my ankles is gone, great news").urgent


@pytest.mark.parametrize("text", [
    "3am and my belly pain is unbearable, cant stand up straight",
    "took two nitros and the pressure in my chest is still there",
    "used the inhaler 3 times, didnt help, wheezing and tight",
    "my tongue is swelling up after the new pill",
    "sudden headache worse than anything ive ever had",
    "out of nowhere my left arm went numb and weak",
    "mi nieto de 2 anos se trago una pila de reloj",
    "la herida de la operacion huele feo y tengo calentura",
    "mi papa en dialisis falto ayer y hoy amanecio bien debil con el corazon raro",
    "haven't peed since yesterday morning",
])
def test_an_unseen_combination_of_a_symptom_and_a_cue_pages_at_2am(triager, text):
    """Written for this test, not taken from any labelled set: a symptom word of one body
    system with an acuity, onset or failed-remedy cue (or a known danger pair)."""
    result = triager.classify(text)
    assert result.urgent and result.guidance == "911", result.fired


@pytest.mark.parametrize("text", [
    "i have been saving up my sleeping pills, i have enough now",
    "please tell my daughter i love her. i won't be around after tonight",
    "le pido a Dios que ya me recoja, ya me canse de luchar",
    "i keep thinking about the bridge near my house, it would be so easy",
    "ya deje todo arreglado, mañana es el dia",
    "how many of my blood pressure pills would it take",
    "me volvi a cortar los brazos anoche",
])
def test_crisis_said_by_its_meaning_gets_988(triager, text):
    assert triager.classify(text).guidance == "988"


@pytest.mark.parametrize("text", [
    "what should i do if i ever fall and hit my head? just want to know for the future",
    "if my sugar ever goes over 300 what do i do? right now its 140",
    "mom is confused in the evenings, same as always, nothing new. any tips for sleep?",
    "my husband went to the ER for chest pain last month, they said it was reflux",
])
def test_a_question_about_a_possibility_or_the_usual_state_stays_routine(triager, text):
    assert not triager.classify(text).urgent


def test_a_denied_head_strike_is_no_head_strike_but_a_denied_chest_pain_still_pages(triager):
    thinner = triager.profile([], ["apixaban 5 mg"])
    assert not triager.classify("tripped on the rug, didnt hit my head, just sore", (), (),
                                thinner).urgent
    assert triager.classify("tripped on the rug and hit my head", (), (), thinner).urgent
    assert triager.classify("no chest pain today").urgent  # the reviewed rule is unchanged


def test_readings_in_new_words_meet_the_plans_own_instructions(triager):
    plan = rules_from(["Call if your heart rate is over 120 or under 50 at rest",
                       "Call right away for a temperature of 100.4 F or higher",
                       "Call if weight up more than 3 lb in a day"])
    assert [r.metric for r in plan] == ["pulse_above", "pulse_below", "temperature_above",
                                        "weight_gain_day"]
    assert triager.classify("watch says 134 just sitting here", plan).plan_rules == ("R1",)
    assert triager.classify("tengo 38.4 de fiebre", plan).plan_rules == ("R3",)
    assert triager.classify("weighed 182 yesterday and 186 this morning", plan).plan_rules == (
        "R4",)
    # without a plan, the practice's own thresholds: a pulse of 36, a top number of 190
    assert "reading:pulse_low" in triager.classify("my pulse is 36 and im dizzy").fired
    assert "reading:bp_high" in triager.classify("top number 190 bottom 100").fired


def test_a_low_sugar_treated_and_checked_again_counts_by_its_last_reading(triager):
    plan = rules_from(["Call if your sugar is under 70"])
    assert not triager.classify("sugar was 64, had juice, came up to 110", plan).urgent
    assert triager.classify("sugar was 64, had juice", plan).urgent


def test_the_second_opinion_only_raises_and_says_so(triager, tmp_path):
    """The model pages a message the lexicon left routine; it never lowers one, a reading is
    left to the thresholds, and a practice can switch it off."""
    assert triager.second_opinion is not None
    text = "my chest"  # two words no reviewed rule reads as a red flag
    raised = triager.classify(text)
    assert raised.urgent and raised.fired == ("model:911",)
    assert not triager.classify("sugar 320 tonight").urgent  # the thresholds decide readings
    assert triager.classify("chest pain since dinner").fired == ("flag:chest_pain",)
    assert not triager.classify("can i get a refill on my lisinopril").urgent
    path = tmp_path / "triage.toml"
    path.write_text(DEFAULT_TRIAGE.read_text(encoding="utf-8").replace(
        "[second_opinion]\nenabled = true", "[second_opinion]\nenabled = false"),
        encoding="utf-8")
    (tmp_path / "triage_model.json").write_text(
        (DEFAULT_TRIAGE.parent / "triage_model.json").read_text(encoding="utf-8"))
    off = load_triager(path)
    assert off.second_opinion is None and not off.classify(text).urgent


def test_the_second_opinion_never_overrules_what_the_reviewed_context_set_aside(triager):
    """A mention the lexicon read and set aside (a past explained, a hypothetical, a figure of
    speech) was not missed: the model is a net for what the lexicon did not see. On the first
    look at two new writers (dev_d, dev_e, 720 rows), every model raise of such a message was
    a false alarm."""
    text = "i had chest pain two years ago and it was anxiety, just updating my history"
    result = triager.classify(text)
    assert not result.urgent and result.set_aside == ("flag:chest_pain",)
    assert triager.second_opinion.judge(text.split()) is not None  # the model alone would page


def test_the_model_file_names_every_weight_and_was_trained_on_development_rows_only():
    import json

    model = json.loads((DEFAULT_TRIAGE.parent / "triage_model.json").read_text())
    assert model["trained_on"] >= 1500
    assert all(isinstance(name, str) and name for name in model["urgent"]["weights"])
    from hub.triage.train_second_opinion import development_rows

    assert len(development_rows()) == model["trained_on"]


@pytest.mark.parametrize("text", [
    "mi bebe de 2 meses tiene calentura de 38.5",
    "severe allergic reaction, face swelling, can't swallow",
    "my leg is cold, blue and numb since this afternoon",
    "my son swallowed a magnet",
    "crushing feeling behind my breastbone for 20 minutes",
    "no puedo agarrar aire, me estoy ahogando",
    "de repente no pude hablar bien y se me durmio la cara",
    "le sale mucha sangre de la herida y no para",
    "presion 75/40 y esta mareado",
    "mi esposo tiene la cara hinchada y le cuesta respirar despues del camaron",
    "got bleach splashed in my eye and it burns",
    "my son got a bad burn from the stove, skin is peeling and white",
    "a dog bit my daughter's face, deep wound",
    "my 1 year old hasn't had a wet diaper since yesterday and won't drink",
    "di a luz hace una semana y tengo sangrado muy fuerte con coagulos",
    "me duele muchisimo el pesho y me falta el aigre",
    "se le ve la boca de lado y el brazo no lo mueve",
    "mijo se tragó unas pastiyas de su abuela",
    "my husbend is unconsious and wont wake",
    "no big deal but i coughed up some blood this morning, like a tablespoon",
    "hate to be a pain but grandma hasn't eaten in 3 days and barely drinks",
    "insulin pump broke yesterday and i havent had insulin since, sugar 380 and nauseous",
    "my stomach is swollen and hard and i haven't pooped or passed gas in 3 days, vomiting",
    "my kid has a stiff neck, high fever and a rash that doesn't fade",
    "i'm 8 months pregnant and my water broke and i see the cord",
])
def test_a_night_message_in_words_no_labelled_set_holds_is_urgent(triager, text):
    assert triager.classify(text).urgent


@pytest.mark.parametrize("text", [
    "i just want it all to stop. i have the pills ready",
    "todos estarian mejor si yo no estuviera",
    "ya no le encuentro sentido a nada, quiero dormirme y no despertar",
    "i don't see a way out anymore",
    "ya tengo todo planeado, nomas falta el dia",
    "my husband is talking about shooting himself",
    "me tome las pastillas a proposito para ya no despertar",
    "life isn't worth living anymore",
    "my teenager posted 'goodbye' on social media and isnt answering",
    "siento que estorbo en esta casa, mejor me voy para siempre",
    "ya no le veo caso a vivir",
    "me dan ganas de aventarme al tren",
    "nobody would care if i died",
])
def test_a_crisis_in_words_no_labelled_set_holds_gets_988(triager, text):
    assert triager.classify(text).guidance == "988"


@pytest.mark.parametrize("text", [
    "i'm dying to know my cholesterol results lol",
    "this insurance is killing me, can i get a cheaper inhaler",
    "me muero de risa con el video que mandaron jaja",
    "i had chest pain two years ago and it was anxiety, just updating my history",
    "weight 176 today same as always",
    "can i drink alcohol with my blood thinner",
    "i have a plan for my diet, can the nurse review it",
    "the bridge on 5th is closed so i'll be late to my appointment",
    "goodbye dr smith, we're moving to texas, thanks for everything",
    "i gave away my old walker to a neighbor, can i get a new one",
    "this is my last refill, can you send a new prescription",
    "mi mama tuvo convulsiones de nina, ahora esta bien, el doctor nuevo pregunta",
    "we need a form for my son's seizure medicine at school",
    "dad's short of breath walking up stairs, same as last year",
    "i almost fainted when i saw the bill",
    "necesito la receta para que pueda seguir con el tratamiento",
    "whats the point of the new pill if it doesnt work",
])
def test_a_routine_message_with_alarming_words_stays_routine(triager, text):
    assert not triager.classify(text).urgent


def test_readings_and_plan_words_written_other_ways(triager):
    plan = rules_from(["Call us if your top number is over 180 or the bottom number is over 110"])
    assert [(r.metric, r.threshold) for r in plan] == [("bp_systolic_above", 180),
                                                        ("bp_diastolic_above", 110)]
    assert triager.classify("presion de 190 con 120").urgent
    assert triager.classify("my sugar is in the 30s").urgent
    assert "reading:pulse_high" in triager.classify("her heart is going 140 beats a minute").fired
