"""Patients, their phones and caregivers, and the practice's staff."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from hub.crypto import Encrypted, active
from hub.models.base import Base, UTCDateTime, utcnow


class Staff(Base):
    """A member of the practice who can be paged: nurse, care manager, physician, manager, admin."""

    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    fhir_id: Mapped[str | None] = mapped_column(String(128), unique=True)
    # "system|value" of the NPI (else the first identifier) the EHR knows them by; it
    # resolves conditional references such as Practitioner?identifier=...us-npi|123.
    fhir_identifier: Mapped[str | None] = mapped_column(String(300), index=True)
    name: Mapped[str] = mapped_column(Encrypted(remember=True))
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    # The number pages go to; found again (ACK replies) through its keyed hash.
    phone: Mapped[str | None] = mapped_column(Encrypted(remember=True))
    phone_index: Mapped[str | None] = mapped_column(String(64), index=True)
    role: Mapped[str] = mapped_column(String(32), default="nurse")
    password_hash: Mapped[str | None] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The TOTP secret of `hub staff enroll-totp` (the second factor), and the last time step
    # a code was accepted for, so one code signs in once.
    totp_secret: Mapped[str | None] = mapped_column(Encrypted)
    totp_last_step: Mapped[int | None] = mapped_column(Integer)


def new_patient_ref() -> str:
    """An unguessable reference for a patient's pages (their URLs never carry the id)."""
    return secrets.token_urlsafe(12)


def birth_date_index(value: str | None) -> str | None:
    """The keyed hash a full birth date (YYYY-MM-DD) is found by; None for a partial one."""
    if not value or len(value) != 10:
        return None
    return active().blind_index("birth-date:" + value)


class Patient(Base):
    """A patient enrolled in chronic care management."""

    __tablename__ = "patients"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Opaque reference in the care plan page's URL; ids are small integers, easily guessed.
    ref: Mapped[str | None] = mapped_column(String(16), unique=True, index=True,
                                            default=new_patient_ref)
    fhir_id: Mapped[str | None] = mapped_column(String(128), unique=True)
    name: Mapped[str] = mapped_column(Encrypted)
    birth_date: Mapped[str | None] = mapped_column(Encrypted)
    # Keyed hash of the birth date (YYYY-MM-DD): a caller from an unknown number keys it in
    # and one indexed query finds the patient, nothing decrypted.
    birth_index: Mapped[str | None] = mapped_column(String(64), index=True)
    language: Mapped[str] = mapped_column(String(16), default="en")
    # IANA zone outreach and reminders are timed in (None: the practice's HUB_TIMEZONE).
    time_zone: Mapped[str | None] = mapped_column(String(64))
    # Continuity: the team member this patient should reach first when on shift.
    care_manager_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    care_manager: Mapped[Staff | None] = relationship()

    @validates("birth_date")
    def _index_birth_date(self, _key: str, value: str | None) -> str | None:
        self.birth_index = birth_date_index(value)
        return value

    phones: Mapped[list[PatientPhone]] = relationship(
        back_populates="patient", cascade="all, delete-orphan"
    )


class PatientPhone(Base):
    """One number a patient calls or texts from, found by keyed hash only."""

    __tablename__ = "patient_phones"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    phone: Mapped[str] = mapped_column(Encrypted)
    phone_index: Mapped[str] = mapped_column(String(64), index=True)
    use: Mapped[str | None] = mapped_column(String(16))

    patient: Mapped[Patient] = relationship(back_populates="phones")


class Caregiver(Base):
    """A related person (FHIR RelatedPerson) who may contact the line about one patient.

    A caregiver of several patients is several rows sharing one phone_index.
    """

    __tablename__ = "caregivers"

    id: Mapped[int] = mapped_column(primary_key=True)
    fhir_id: Mapped[str | None] = mapped_column(String(128), unique=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(Encrypted)
    relationship_text: Mapped[str | None] = mapped_column(Encrypted)
    phone: Mapped[str | None] = mapped_column(Encrypted)
    phone_index: Mapped[str | None] = mapped_column(String(64), index=True)

    patient: Mapped[Patient] = relationship()
