"""The patient's medications, allergies and consents (from FHIR), shown beside a contact, and
what each caregiver may be told (from a consent's provisions or recorded by hand)."""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.crypto import Encrypted
from hub.models.base import Base
from hub.models.people import Caregiver, Patient


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


class CaregiverDisclosure(Base):
    """What one caregiver may (``permit``) or may not be told.

    From a FHIR Consent provision naming the RelatedPerson as actor (``consent_id`` set, so
    re-importing the consent replaces its rows), or recorded by hand (``consent_id`` None).
    """

    __tablename__ = "caregiver_disclosures"

    id: Mapped[int] = mapped_column(primary_key=True)
    caregiver_id: Mapped[int] = mapped_column(
        ForeignKey("caregivers.id", ondelete="CASCADE"), index=True)
    consent_id: Mapped[int | None] = mapped_column(
        ForeignKey("consents.id", ondelete="CASCADE"), index=True)
    permit: Mapped[bool] = mapped_column(Boolean)
    what: Mapped[str] = mapped_column(Encrypted)

    caregiver: Mapped[Caregiver] = relationship()
    consent: Mapped[Consent | None] = relationship(back_populates="disclosures")
