"""Lena cares for both Walter and Rosa: the hub asks which one she means, and files her text."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from hub.models import Caregiver, Contact, LogEntry
from hub.phones import phone_index
from tests.practice import LENA


@pytest.fixture
def lena_cares_for_both(rt, practice):
    with rt.sessions() as session:
        session.add(Caregiver(patient_id=practice.rosa.id, name="Lena Kowalski",
                              phone=LENA, phone_index=phone_index(LENA)))
        session.commit()
    return practice


def contacts(rt) -> list[Contact]:
    with rt.sessions() as session:
        return list(session.scalars(select(Contact).order_by(Contact.id)))


def test_lena_is_asked_which_patient_and_her_answer_files_the_text(
        rt, twilio, twilio_api, lena_cares_for_both):
    practice = lena_cares_for_both
    answer = twilio.sms(LENA, "one of them needs a refill")
    assert "Reply 1 for Walter or 2 for Rosa." in answer.text
    assert twilio_api.wait_for(1)  # the on-call nurse is paged meanwhile: never held back
    chosen = twilio.sms(LENA, "2", sid="SM" + "2" * 32)
    assert "noted: this is about Rosa" in chosen.text
    (contact,) = contacts(rt)  # "2" is an answer, not a new contact
    assert contact.patient_id == practice.rosa.id
    again = twilio.sms(LENA, "2", sid="SM" + "2" * 32)  # Twilio retries: same answer, no change
    assert again.text == chosen.text and len(contacts(rt)) == 1
    with rt.sessions() as session:
        assert session.scalar(select(func.count()).select_from(LogEntry).where(
            LogEntry.event == "contact.patient_chosen")) == 1


def test_a_number_that_answers_no_question_is_a_contact_of_its_own(
        rt, twilio, lena_cares_for_both):
    twilio.sms(LENA, "one of them needs a refill")
    twilio.sms(LENA, "7")  # no 7th patient: not an answer
    assert len(contacts(rt)) == 2
    twilio.sms("+12025550142", "2")  # Walter never was asked anything
    assert len(contacts(rt)) == 3 and contacts(rt)[0].patient_id is None
