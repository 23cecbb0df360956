"""A small practice for the stories: staff, patients, a caregiver and who is on call."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from hub.models import Caregiver, Patient, PatientPhone, Shift, Staff, utcnow
from hub.phones import phone_index

NORA = "+12025550101"  # care manager (RN), Walter's designated care manager
BEN = "+12025550102"  # nurse on primary call
MAYA = "+12025550103"  # practice manager, backup on call
WALTER = "+12025550142"  # patient
ROSA = "+12025550143"  # patient, Spanish
LENA = "+12025550150"  # Walter's daughter, his caregiver
STRANGER = "+12025550199"


@dataclass
class Practice:
    nora: Staff
    ben: Staff
    maya: Staff
    walter: Patient
    rosa: Patient
    lena: Caregiver


def _staff(name: str, email: str, phone: str, role: str) -> Staff:
    return Staff(name=name, email=email, phone=phone, phone_index=phone_index(phone), role=role)


def _patient(name: str, phone: str, language: str, manager: Staff) -> Patient:
    patient = Patient(name=name, birth_date="1948-02-11", language=language,
                      care_manager_id=manager.id)
    patient.phones.append(PatientPhone(phone=phone, phone_index=phone_index(phone), use="mobile"))
    return patient


def seed(session: Session, now: datetime | None = None, nora_on_shift: bool = False) -> Practice:
    """Ben holds primary and Maya backup around ``now``; Nora only when asked."""
    now = now or utcnow()
    nora = _staff("Nora Reyes", "nora@clinic.test", NORA, "care_manager")
    ben = _staff("Ben Okafor", "ben@clinic.test", BEN, "nurse")
    maya = _staff("Maya Chen", "maya@clinic.test", MAYA, "manager")
    session.add_all([nora, ben, maya])
    session.flush()
    walter = _patient("Walter Kowalski", WALTER, "en", nora)
    rosa = _patient("Rosa Martinez", ROSA, "es", ben)
    session.add_all([walter, rosa])
    session.flush()
    lena = Caregiver(patient_id=walter.id, name="Lena Kowalski", relationship_text="daughter",
                     phone=LENA, phone_index=phone_index(LENA))
    session.add(lena)
    day = timedelta(days=1)
    shifts = [(ben, "primary"), (maya, "backup")] + ([(nora, "primary")] if nora_on_shift else [])
    for person, layer in shifts:
        session.add(Shift(staff_id=person.id, layer=layer, starts_at=now - day,
                          ends_at=now + day, source_key=f"test/{person.email}/{layer}"))
    session.commit()
    return Practice(nora, ben, maya, walter, rosa, lena)


def add_patients(session: Session, practice: Practice, numbers: list[str]) -> list[Patient]:
    """One more patient per number, Nora and Ben in turn their care manager (a bench's
    senders, each matched to a patient as a practice's own would be)."""
    managers = (practice.nora, practice.ben)
    patients = [_patient(f"Patient {i + 1}", number, "en", managers[i % 2])
                for i, number in enumerate(numbers)]
    session.add_all(patients)
    session.commit()
    return patients
