"""Triage on the line: the answer to the very webhook that brought the message, the page,
and the log a manager audits."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from hub.models import Contact, LogEntry, PlanRule, ReportedReading, utcnow
from tests.practice import BEN, LENA, ROSA, WALTER


def pages_to(twilio_api, number):
    return sorted(r.resource for r in twilio_api.sent_to(number))


def triaged(rt) -> dict:
    with rt.sessions() as session:
        entry = session.scalars(select(LogEntry).where(LogEntry.event == "contact.triaged")
                                .order_by(LogEntry.seq.desc())).first()
        return json.loads(entry.detail)


def test_chest_pain_at_2am_gets_911_at_once_and_an_urgent_page_and_call(rt, twilio, twilio_api,
                                                                        practice):
    answer = twilio.sms(WALTER, "woke up with chest pressure and my left arm feels heavy")
    assert "call 911 now" in answer.text
    assert pages_to(twilio_api, BEN) == ["Calls", "Messages"]
    assert twilio_api.sent_to(BEN)[0].form.get("Body", "URGENT").startswith("URGENT")
    audit = triaged(rt)
    assert audit["urgency"] == "urgent" and "flag:chest_pain" in audit["fired"]


def test_a_caregiver_writing_about_suicide_gets_988_in_the_answer(rt, twilio, twilio_api,
                                                                 practice):
    answer = twilio.sms(LENA, "dad keeps saying he wants to die and gave his dog away")
    assert "988" in answer.text and "911" in answer.text
    assert triaged(rt)["guidance"] == "988"
    assert "Calls" in pages_to(twilio_api, BEN)


def test_rosa_writing_she_no_longer_wants_to_live_gets_988_and_an_urgent_call(
        rt, twilio, twilio_api, practice):
    answer = twilio.sms(ROSA, "ya no qiero vivir, quisiera dormirme y no despertar")
    assert "988" in answer.text
    audit = triaged(rt)
    assert audit["urgency"] == "urgent" and audit["guidance"] == "988"
    assert "Calls" in pages_to(twilio_api, BEN)


def test_a_spanish_emergency_is_answered_in_spanish(twilio, practice):
    answer = twilio.sms(ROSA, "me falta el aire y me duele el pecho")
    assert "llame al 911 ahora" in answer.text


def test_a_refill_at_midnight_gets_an_honest_routine_answer_and_a_routine_page(
        rt, twilio, twilio_api, practice):
    answer = twilio.sms(WALTER, "can I get a refill on my lisinopril")
    assert "next business day" in answer.text and "911" in answer.text
    assert pages_to(twilio_api, BEN) == ["Messages"]
    assert not twilio_api.sent_to(BEN)[0].form["Body"].startswith("URGENT")
    assert triaged(rt) == {"urgency": "routine", "guidance": None, "fired": [],
                           "set_aside": [], "plan_rules": [], "readings": []}


def test_an_empty_text_is_asked_for_details(twilio, practice):
    assert "it was empty" in twilio.sms(WALTER, "").text


def test_walters_weight_rule_fires_on_his_reading_and_the_page_names_only_the_rule(
        rt, twilio, twilio_api, practice):
    with rt.sessions() as session:
        session.add(PlanRule(patient_id=practice.walter.id, code="R1", metric="weight_gain_day",
                             threshold=3, instruction="Weight up 3 lb in a day: call the team"))
        session.commit()
    twilio.sms(WALTER, "weight 186 this morning")
    with rt.sessions() as session:  # that reading was yesterday's
        for reading in session.scalars(select(ReportedReading)):
            reading.at = utcnow() - timedelta(hours=22)
        session.commit()
    answer = twilio.sms(WALTER, "weight 190 today, ankles puffy")
    assert "Weight up 3 lb in a day: call the team" in answer.text  # his plan's words
    assert "call 911 now" not in answer.text and "being paged now" in answer.text
    sms = [r for r in twilio_api.sent_to(BEN) if r.resource == "Messages"][-1]
    assert "care-plan rule R1" in sms.form["Body"]
    assert "190" not in sms.form["Body"] and "weight" not in sms.form["Body"].lower()
    assert triaged(rt)["plan_rules"] == ["R1"]
    with rt.sessions() as session:
        first, second = session.scalars(select(Contact).order_by(Contact.id))
        assert (first.urgency, second.urgency) == ("routine", "urgent")


def test_the_same_reading_from_another_patient_fires_no_rule(rt, twilio, practice):
    with rt.sessions() as session:
        session.add(PlanRule(patient_id=practice.walter.id, code="R2", metric="glucose_above",
                             threshold=250))
        session.commit()
    assert "siguiente día hábil" in twilio.sms(ROSA, "azucar 300 esta noche").text
    with rt.sessions() as session:
        assert session.scalars(select(Contact)).one().urgency == "routine"
    twilio.sms(WALTER, "sugar 300 tonight")
    with rt.sessions() as session:
        urgencies = [c.urgency for c in session.scalars(select(Contact).order_by(Contact.id))]
    assert urgencies == ["routine", "urgent"]


def test_the_manager_sees_why_a_message_was_not_urgent(rt, twilio, practice):
    twilio.sms(WALTER, "the fall where I hit my head last month, do I need a follow up visit?")
    audit = triaged(rt)
    assert audit["urgency"] == "routine" and audit["set_aside"] == ["flag:fall_head_injury"]
