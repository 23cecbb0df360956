"""The comprehensive care plan beyond the problem list: goals, planned activities, what each
caregiver may be told, and the parts a practice records by hand (``hub care-plan``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.crypto import Encrypted
from hub.models.base import Base, UTCDateTime, utcnow
from hub.models.care import CarePlan
from hub.models.chart import Consent
from hub.models.people import Caregiver, Patient, Staff


class Goal(Base):
    """A measurable goal of the patient's care (FHIR Goal).

    ``targets`` is JSON (encrypted): a list of {"measure", "detail", "due"} texts, e.g.
    {"measure": "Body weight", "detail": "<= 195 lb", "due": "2026-12-31"}.
    """

    __tablename__ = "goals"

    id: Mapped[int] = mapped_column(primary_key=True)
    fhir_id: Mapped[str] = mapped_column(String(128), unique=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"),
                                            index=True)
    # proposed | planned | accepted | active | on-hold | completed | cancelled | ...
    lifecycle_status: Mapped[str] = mapped_column(String(32))
    achievement_status: Mapped[str | None] = mapped_column(String(32))  # in-progress, achieved...
    description: Mapped[str | None] = mapped_column(Encrypted)
    start: Mapped[str | None] = mapped_column(Encrypted)
    targets: Mapped[str | None] = mapped_column(Encrypted)
    note: Mapped[str | None] = mapped_column(Encrypted)

    patient: Mapped[Patient] = relationship()


class Prognosis(Base):
    """A clinician's assessment with its prognosis (FHIR ClinicalImpression), e.g. "guarded".

    ``prognosis`` joins the texts of prognosisCodeableConcept and the displays of
    prognosisReference; ``summary`` is the assessment's summary. Both encrypted.
    """

    __tablename__ = "prognoses"

    id: Mapped[int] = mapped_column(primary_key=True)
    fhir_id: Mapped[str] = mapped_column(String(128), unique=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"),
                                            index=True)
    status: Mapped[str] = mapped_column(String(32))  # in-progress | completed | entered-in-error
    date: Mapped[str | None] = mapped_column(Encrypted)  # effective or recorded, as given
    prognosis: Mapped[str | None] = mapped_column(Encrypted)
    summary: Mapped[str | None] = mapped_column(Encrypted)

    patient: Mapped[Patient] = relationship()


class CarePlanActivity(Base):
    """One planned activity of a care plan and who is responsible for it.

    ``kind`` sorts it into the care plan's lists: "intervention" (the team's own work),
    "community" (community and social services) or "referral" (coordination with outside
    providers); see hub.fhir.plan. ``performer`` is the staff member responsible when the
    EHR names one of ours; ``performer_text`` names anyone else (an agency, an outside doctor).
    """

    __tablename__ = "care_plan_activities"

    id: Mapped[int] = mapped_column(primary_key=True)
    care_plan_id: Mapped[int] = mapped_column(
        ForeignKey("care_plans.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str | None] = mapped_column(String(32))
    text: Mapped[str | None] = mapped_column(Encrypted)
    scheduled: Mapped[str | None] = mapped_column(Encrypted)
    performer_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff.id", ondelete="SET NULL"))
    performer_text: Mapped[str | None] = mapped_column(Encrypted)

    plan: Mapped[CarePlan] = relationship(back_populates="activities")
    performer: Mapped[Staff | None] = relationship()


class CarePlanField(Base):
    """A part of the care plan FHIR has no standard place for, recorded with ``hub care-plan``:
    expected outcome, prognosis, emergency instructions... (see hub.care_plan.FIELDS)."""

    __tablename__ = "care_plan_fields"
    __table_args__ = (UniqueConstraint("patient_id", "field"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    field: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Encrypted)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(128))


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
