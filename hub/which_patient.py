"""A sender who may mean several patients (a caregiver of two, a shared landline) is asked
which one, and answers "1" or "2": the contact is then filed under that patient, never guessed.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub import contact_log
from hub.models import Contact, Patient

ASKED_FOR = timedelta(hours=2)  # how long after the question a bare number is its answer
CHOICE = re.compile(r"\s*([1-9])\s*[.!]?\s*")


def first_names(session: Session, patient_ids: list[int]) -> list[str]:
    """The candidates' first names, in the order the question lists them."""
    names = {p.id: p.name for p in session.scalars(
        select(Patient).where(Patient.id.in_(patient_ids)))}
    return [(names.get(pid) or "?").split()[0] for pid in patient_ids]


def answer(session: Session, from_index: str | None, body: str,
           now: datetime) -> tuple[Contact, int] | None:
    """File the sender's latest unanswered question under the chosen patient.

    Returns (contact, patient id), or None when the text is not an answer to a question
    asked of this number in the last two hours (then it is a contact of its own).
    """
    match = CHOICE.fullmatch(body or "")
    if match is None or from_index is None:
        return None
    contact = session.scalars(
        select(Contact).where(Contact.from_index == from_index, Contact.match == "ambiguous",
                              Contact.patient_id.is_(None), Contact.candidates.is_not(None),
                              Contact.received_at >= now - ASKED_FOR)
        .order_by(Contact.received_at.desc()).limit(1)
    ).first()
    if contact is None:
        return None
    choice = int(match.group(1))
    if choice > len(contact.candidate_ids):
        return None
    patient_id = contact.candidate_ids[choice - 1]
    contact.patient_id = patient_id
    contact.version += 1
    contact_log.append(session, "contact.patient_chosen", contact_id=contact.id, at=now,
                       actor="sender", detail={"patient_id": patient_id, "choice": choice})
    return contact, patient_id


def fill_birth_indexes(session: Session) -> int:
    """Index the birth dates of patients stored before the index existed (once: afterwards
    the model keeps it), so a caller's keyed date is found by one indexed query."""
    patients = list(session.scalars(select(Patient).where(
        Patient.birth_index.is_(None), Patient.birth_date.is_not(None))))
    filled = 0
    for patient in patients:
        patient.birth_date = patient.birth_date  # the model's validator sets birth_index
        filled += patient.birth_index is not None
    return filled
