"""Who is writing? Match a sender's number to a patient, caregivers, or a staff member."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.models import Caregiver, Patient, PatientPhone, Staff


@dataclass
class SenderMatch:
    """The outcome of matching one number; ``kind`` is patient|caregiver|ambiguous|unknown."""

    kind: str
    patient: Patient | None = None
    caregiver: Caregiver | None = None
    candidates: list[Patient] = field(default_factory=list)


def match_sender(session: Session, from_index: str | None) -> SenderMatch:
    """Find the patient behind a number through its keyed hash (no decryption).

    A number shared by several patients, or a caregiver of several patients, is
    ``ambiguous``: the contact is still routed, never guessed.
    """
    if from_index is None:
        return SenderMatch("unknown")
    patients = list(session.scalars(
        select(Patient).join(PatientPhone).where(PatientPhone.phone_index == from_index)
        .distinct().order_by(Patient.id)
    ))
    caregivers = list(session.scalars(
        select(Caregiver).where(Caregiver.phone_index == from_index).order_by(Caregiver.id)
    ))
    if len(patients) == 1 and not caregivers:
        return SenderMatch("patient", patient=patients[0], candidates=patients)
    cared_for = {c.patient_id: c.patient for c in caregivers}
    if not patients and len(cared_for) == 1:
        return SenderMatch("caregiver", patient=caregivers[0].patient, caregiver=caregivers[0],
                           candidates=list(cared_for.values()))
    candidates = patients + [p for pid, p in cared_for.items()
                             if pid not in {x.id for x in patients}]
    if candidates:
        return SenderMatch("ambiguous", candidates=candidates)
    return SenderMatch("unknown")


def staff_by_phone(session: Session, from_index: str | None) -> Staff | None:
    """The active staff member using this number, if any."""
    if from_index is None:
        return None
    return session.scalars(
        select(Staff).where(Staff.phone_index == from_index, Staff.active.is_(True))
        .order_by(Staff.id).limit(1)
    ).first()
