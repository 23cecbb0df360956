"""Everyday texts that are not patient contacts, or not quite: a nurse's typo, STOP and HELP,
a number a patient shares with her caregiver, a care-plan threshold, a caregiver who writes
in Spanish. Each goes down its own path, never paged as something it is not."""

from __future__ import annotations

import json
import re
from types import SimpleNamespace
from xml.etree import ElementTree

import pytest
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from hub import language
from hub.cli import cli
from hub.models import Caregiver, Contact, LogEntry, PlanRule, Staff
from hub.phones import phone_index
from tests.practice import BEN, LENA, MAYA, NORA, ROSA, STRANGER, WALTER
from tests.staff_login import sign_in


def said(reply) -> str | None:
    """The text the hub answered the sender with (None: no message back)."""
    message = ElementTree.fromstring(reply.data).find("Message")
    return None if message is None else message.text or ""


def contacts(rt) -> list[Contact]:
    with rt.sessions() as session:
        return list(session.scalars(select(Contact).order_by(Contact.id)))


def logged(rt, event: str) -> list[dict]:
    with rt.sessions() as session:
        return [json.loads(e.detail or "{}") for e in session.scalars(
            select(LogEntry).where(LogEntry.event == event).order_by(LogEntry.seq))]


def page_code(twilio_api, to: str) -> str:
    body = [r for r in twilio_api.sent_to(to) if r.resource == "Messages"][-1].form["Body"]
    return re.search(r"ACK (\d{4})", body).group(1)


# --- a nurse's typo is never a patient contact -----------------------------------------------

@pytest.mark.parametrize("typo", ["OK", "calling the patient now", "ACK 15", "ack pls"])
def test_a_nurses_reply_that_is_no_command_pages_nobody_and_lists_her_open_codes(
        rt, twilio, twilio_api, practice, typo):
    twilio.sms(WALTER, "I need my water pill refilled")
    code = page_code(twilio_api, BEN)
    pages_before = len(twilio_api.requests)

    reply = twilio.sms(BEN, typo)

    assert len(contacts(rt)) == 1  # Walter's only: the typo is no contact
    assert len(twilio_api.requests) == pages_before  # and nobody was paged for it
    assert "911" not in said(reply) and "Nothing was done" in said(reply)
    assert f"ACK {code}" in said(reply)  # what she can answer instead
    assert contacts(rt)[0].status == "paging"


def test_ack_glued_to_its_code_is_understood(rt, twilio, twilio_api, practice):
    twilio.sms(WALTER, "I need my water pill refilled")
    code = page_code(twilio_api, BEN)

    reply = twilio.sms(BEN, f"ACK{code}")

    assert "Acknowledged" in said(reply)
    assert contacts(rt)[0].status == "acknowledged"


def test_a_typo_in_the_minutes_resolves_nothing_and_says_why(rt, twilio, twilio_api, practice):
    twilio.sms(WALTER, "I need my water pill refilled")
    code = page_code(twilio_api, BEN)

    reply = twilio.sms(BEN, f"RESOLVE {code} abc")

    assert "Not done" in said(reply) and "minutes" in said(reply)
    assert f"RESOLVE {code} 15" in said(reply)  # an example with her own code
    assert [c.status for c in contacts(rt)] == ["paging"]


def test_a_staff_member_who_is_also_a_patient_still_reaches_the_line_as_a_patient(
        rt, twilio, twilio_api, practice):
    with rt.sessions() as session:
        session.add(Caregiver(patient_id=practice.rosa.id, name="Nora Reyes",
                              relationship_text="niece", phone=NORA,
                              phone_index=phone_index(NORA)))
        session.commit()

    twilio.sms(NORA, "my aunt Rosa fell and hit her head")

    (contact,) = contacts(rt)
    assert contact.patient_id == practice.rosa.id and contact.urgency == "urgent"


# --- STOP, START and HELP ---------------------------------------------------------------------

@pytest.mark.parametrize("keyword", ["STOP", "stop", "Unsubscribe", "CANCEL", "end", "QUIT",
                                     "StopAll", "optout", "REVOKE"])
def test_stop_from_a_patient_is_honoured_audited_and_never_paged(
        rt, twilio, twilio_api, practice, keyword):
    reply = twilio.sms(WALTER, keyword)

    assert said(reply) is None  # Twilio itself confirms the opt-out
    assert contacts(rt) == [] and twilio_api.requests == []
    (entry,) = logged(rt, "sms.opted_out")
    assert entry["keyword"] == keyword.upper() and entry["patient_ids"] == [practice.walter.id]


def test_a_patient_who_opted_out_still_reaches_the_nurse_and_the_team_sees_it(
        rt, app, twilio, twilio_api, practice):
    twilio.sms(WALTER, "STOP")

    reply = twilio.sms(WALTER, "my chest hurts")

    assert said(reply) is None  # nothing more is texted to the number
    (contact,) = contacts(rt)
    assert contact.urgency == "urgent" and twilio_api.sent_to(BEN)
    with rt.sessions() as session:
        session.get(Staff, practice.ben.id).password_hash = generate_password_hash("night-shift")
        session.commit()
    staff = app.test_client()
    sign_in(staff, "ben@clinic.test", "night-shift")
    page = staff.get(f"/staff/c/{contact.ref}").text
    assert "opted out of texts" in page


def test_the_care_plan_shows_who_of_walters_family_opted_out(rt, app, twilio, practice):
    twilio.sms(LENA, "STOP")

    shown = app.test_cli_runner().invoke(cli, ["care-plan", "show", "--patient",
                                               str(practice.walter.id)]).output

    assert "Lena Kowalski opted out of texts (STOP" in shown


def test_start_brings_a_patient_back_and_the_replies_resume(rt, twilio, practice):
    twilio.sms(WALTER, "stop")
    twilio.sms(WALTER, "START")

    reply = twilio.sms(WALTER, "can I take my pills with food?")

    assert said(reply)
    assert [e["keyword"] for e in logged(rt, "sms.opted_in")] == ["START"]
    assert len(contacts(rt)) == 1


def test_help_from_a_patient_tells_the_practice_hours_and_emergency_numbers_and_pages_nobody(
        rt, twilio, twilio_api, practice):
    reply = twilio.sms(ROSA, "help")

    assert "911" in said(reply) and "988" in said(reply)
    assert "Care line" in said(reply) and "STOP" in said(reply)
    assert contacts(rt) == [] and twilio_api.requests == []


def test_help_from_a_nurse_is_the_staff_help(twilio, practice):
    assert "ACK <code>" in said(twilio.sms(BEN, "HELP"))


def test_a_nurse_who_texts_stop_is_paged_by_call_instead_of_sms(
        rt, twilio, twilio_api, practice):
    twilio.sms(BEN, "STOP")

    twilio.sms(WALTER, "I need my water pill refilled")

    to_ben = twilio_api.sent_to(BEN)
    assert [r.resource for r in to_ben] == ["Calls"]
    assert logged(rt, "contact_method.broken")
    assert any(r.form["To"] == MAYA for r in twilio_api.requests if r.resource == "Messages")


# --- a number a patient shares with her own caregiver -----------------------------------------

def test_a_number_rosa_shares_with_her_own_caregiver_is_rosas(rt, twilio, practice):
    with rt.sessions() as session:
        session.add(Caregiver(patient_id=practice.rosa.id, name="Marta", relationship_text="hija",
                              phone=ROSA, phone_index=phone_index(ROSA)))
        session.commit()

    reply = twilio.sms(ROSA, "necesito una receta para la presión")

    (contact,) = contacts(rt)
    assert contact.patient_id == practice.rosa.id and contact.match == "patient"
    assert "Gracias" in said(reply) and "Reply 1" not in said(reply)


# --- a care-plan threshold is the plan's instruction, not 911 ---------------------------------

def test_a_care_plan_threshold_tells_the_patient_the_plan_and_that_the_nurse_is_paged(
        rt, twilio, twilio_api, practice):
    with rt.sessions() as session:
        session.add(PlanRule(patient_id=practice.walter.id, code="R2", metric="glucose_above",
                             threshold=250, instruction="Sugar over 250: drink water, call us"))
        session.commit()

    reply = twilio.sms(WALTER, "sugar 280 tonight")

    assert "911 now" not in said(reply)
    assert "Sugar over 250: drink water, call us" in said(reply)
    assert "being paged now" in said(reply) and "911" in said(reply)  # the numbers stay
    (contact,) = contacts(rt)
    assert contact.urgency == "urgent"
    assert {r.resource for r in twilio_api.sent_to(BEN)} == {"Messages", "Calls"}


def test_a_red_flag_beside_a_threshold_still_says_911(rt, twilio, practice):
    with rt.sessions() as session:
        session.add(PlanRule(patient_id=practice.walter.id, code="R2", metric="glucose_above",
                             threshold=250, instruction="Sugar over 250: call us"))
        session.commit()

    assert "call 911 now" in said(twilio.sms(WALTER, "sugar 280 and crushing chest pain"))


# --- answered in the language the message is written in ---------------------------------------

@pytest.fixture
def languages_loaded():
    """The language models loaded, as they are a moment after a process's first text."""
    language.warm()


def test_the_first_text_never_waits_for_the_language_models(monkeypatch):
    started = []
    monkeypatch.setattr(language, "_detector", None)
    monkeypatch.setattr(language, "_started", False)
    monkeypatch.setattr(language.threading, "Thread",
                        lambda **kwargs: SimpleNamespace(start=lambda: started.append(kwargs)))

    assert language.written_in("mi papá necesita una receta nueva") is None  # the profile's
    assert [kwargs["target"] for kwargs in started] == [language.warm]
    language.written_in("mi mamá tiene fiebre desde ayer")
    assert len(started) == 1  # loading starts once


def test_a_caregiver_who_writes_in_spanish_is_answered_in_spanish(twilio, practice,
                                                                  languages_loaded):
    reply = twilio.sms(LENA, "mi papá necesita una receta nueva para la presión")

    assert "Gracias" in said(reply)


def test_a_short_or_mixed_message_keeps_the_profiles_language(twilio, practice,
                                                               languages_loaded):
    assert "Thank you" in said(twilio.sms(LENA, "gracias"))
    assert "Thank you" in said(twilio.sms(WALTER, "my daughter picked up the receta, gracias"))


def test_an_unknown_sender_writing_spanish_is_answered_in_spanish(twilio, practice,
                                                                  languages_loaded):
    assert "Gracias" in said(twilio.sms(STRANGER, "hola, necesito hablar con la enfermera"))
