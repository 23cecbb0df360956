"""The comprehensive care plan: the plans themselves (from FHIR), goals, prognoses, planned
activities, and the parts a practice records by hand (``hub care-plan``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.crypto import Encrypted
from hub.models.base import Base, UTCDateTime, utcnow
from hub.models.people import Patient, Staff


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


class CarePlan(Base):
    """A patient's care plan; the narrative and activities are kept encrypted as JSON."""

    __tablename__ = "care_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    fhir_id: Mapped[str | None] = mapped_column(String(128), unique=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    status: Mapped[str | None] = mapped_column(String(32))
    intent: Mapped[str | None] = mapped_column(String(32))
    title: Mapped[str | None] = mapped_column(Encrypted)
    content: Mapped[str | None] = mapped_column(Encrypted)  # JSON: description, goals...
    period_start: Mapped[str | None] = mapped_column(Encrypted)  # as given ("2026-01-15")
    # The plan's period ends when it is to be reviewed (the review date, unless set by hand).
    period_end: Mapped[str | None] = mapped_column(Encrypted)

    patient: Mapped[Patient] = relationship()
    activities: Mapped[list[CarePlanActivity]] = relationship(
        back_populates="plan", cascade="all, delete-orphan",
        order_by="CarePlanActivity.position")


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
