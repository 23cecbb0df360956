"""The patient's medications, allergies and consents (from FHIR), shown beside a contact."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.crypto import Encrypted
from hub.models.base import Base
from hub.models.people import Patient

if TYPE_CHECKING:
    from hub.models.plan import CaregiverDisclosure


class Medication(Base):
    """A MedicationRequest (kind "request") or MedicationStatement (kind "statement").

    The two FHIR types share this table, so a resource is found by (kind, fhir_id): an EHR
    may well number its requests and statements from the same "1".
    """

    __tablename__ = "medications"
    __table_args__ = (UniqueConstraint("kind", "fhir_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # request | statement
    fhir_id: Mapped[str] = mapped_column(String(128))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"),
                                            index=True)
    status: Mapped[str | None] = mapped_column(String(32))
    text: Mapped[str | None] = mapped_column(Encrypted)  # what the medication is called
    code: Mapped[str | None] = mapped_column(Encrypted)  # "system|code" (RxNorm...)
    dosage: Mapped[str | None] = mapped_column(Encrypted)
    date: Mapped[str | None] = mapped_column(Encrypted)  # authoredOn / dateAsserted, as given

    patient: Mapped[Patient] = relationship()


class Allergy(Base):
    """An AllergyIntolerance: the substance, how bad, what it did."""

    __tablename__ = "allergies"

    id: Mapped[int] = mapped_column(primary_key=True)
    fhir_id: Mapped[str] = mapped_column(String(128), unique=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"),
                                            index=True)
    clinical_status: Mapped[str | None] = mapped_column(String(32))
    criticality: Mapped[str | None] = mapped_column(String(16))  # low | high | unable-to-assess
    substance: Mapped[str | None] = mapped_column(Encrypted)
    reaction: Mapped[str | None] = mapped_column(Encrypted)

    patient: Mapped[Patient] = relationship()


class Consent(Base):
    """A FHIR Consent; an active one is the patient's consent to chronic care management."""

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    fhir_id: Mapped[str] = mapped_column(String(128), unique=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"),
                                            index=True)
    # draft | proposed | active | rejected | inactive | entered-in-error
    status: Mapped[str] = mapped_column(String(32))
    date: Mapped[str | None] = mapped_column(Encrypted)  # Consent.dateTime, as given
    method: Mapped[str | None] = mapped_column(String(16))  # verbal | written (see fhir.chart)
    obtained_by: Mapped[str | None] = mapped_column(Encrypted)
    scope: Mapped[str | None] = mapped_column(String(64))  # treatment, patient-privacy...

    patient: Mapped[Patient] = relationship()
    # What caregivers may be told, read from the provisions (hub.fhir.plan).
    disclosures: Mapped[list[CaregiverDisclosure]] = relationship(
        back_populates="consent", cascade="all, delete-orphan",
        order_by="CaregiverDisclosure.id")
