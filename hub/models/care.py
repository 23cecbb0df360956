"""The patient's care team and problem list (from FHIR), the care plan's thresholds and the
readings patients report against them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.crypto import Encrypted
from hub.models.base import Base, UTCDateTime
from hub.models.people import Patient, Staff


class CareTeam(Base):
    """A patient's care team (FHIR CareTeam)."""

    __tablename__ = "care_teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    fhir_id: Mapped[str | None] = mapped_column(String(128), unique=True)
    # indexed: routing reads a patient's care team on every contact
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"),
                                            index=True)
    name: Mapped[str | None] = mapped_column(Encrypted)
    status: Mapped[str | None] = mapped_column(String(32))

    patient: Mapped[Patient] = relationship()
    members: Mapped[list[CareTeamMember]] = relationship(
        back_populates="team", cascade="all, delete-orphan"
    )


class CareTeamMember(Base):
    """A staff member's place on a care team, with the role the EHR gave."""

    __tablename__ = "care_team_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("care_teams.id", ondelete="CASCADE"),
                                         index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    role_code: Mapped[str | None] = mapped_column(String(64))
    role_display: Mapped[str | None] = mapped_column(String(256))
    is_care_manager: Mapped[bool] = mapped_column(Boolean, default=False)

    team: Mapped[CareTeam] = relationship(back_populates="members")
    staff: Mapped[Staff] = relationship()


class Condition(Base):
    """An entry of the patient's problem list."""

    __tablename__ = "conditions"

    id: Mapped[int] = mapped_column(primary_key=True)
    fhir_id: Mapped[str | None] = mapped_column(String(128), unique=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    code: Mapped[str | None] = mapped_column(String(64))
    text: Mapped[str | None] = mapped_column(Encrypted)
    clinical_status: Mapped[str | None] = mapped_column(String(32))

    patient: Mapped[Patient] = relationship()


class PlanRule(Base):
    """A symptom-management threshold in a patient's care plan: "weight up 3 lb in a day: call".

    ``metric`` is one of hub.triage.plan_rules.METRICS; ``code`` (R1, R2...) is what a page may
    carry, ``instruction`` what the plan says to do (encrypted).

    ``origin`` is "hub" (set with ``hub plan-rule set``) or "fhir" (derived on import from the
    care plan or a goal: ``source_key`` names the resource and the part, ``source_text`` is
    the sentence it came from, ``derived_threshold`` what the EHR's words gave). ``state`` is
    derived | confirmed | changed | off: a clinician's decision (all but derived) is kept when
    the plan is imported again; a rule switched off is not applied.
    """

    __tablename__ = "care_plan_rules"
    __table_args__ = (UniqueConstraint("patient_id", "code"),
                      UniqueConstraint("patient_id", "source_key",
                                       name="uq_care_plan_rules_patient_source"))

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"),
                                            index=True)
    care_plan_id: Mapped[int | None] = mapped_column(
        ForeignKey("care_plans.id", ondelete="SET NULL"))
    code: Mapped[str] = mapped_column(String(8))
    metric: Mapped[str] = mapped_column(String(32))
    threshold: Mapped[float] = mapped_column(Float)
    instruction: Mapped[str | None] = mapped_column(Encrypted)
    origin: Mapped[str] = mapped_column(String(8), default="hub", server_default="hub")
    state: Mapped[str] = mapped_column(String(16), default="confirmed",
                                       server_default="confirmed")
    source_key: Mapped[str | None] = mapped_column(String(255))
    source_text: Mapped[str | None] = mapped_column(Encrypted)
    derived_threshold: Mapped[float | None] = mapped_column(Float)
    decided_by: Mapped[str | None] = mapped_column(String(128))  # "staff:3", "cli:nurse"...
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class TriageFeedback(Base):
    """A clinician's word that a contact's triage was wrong: ``verdict`` "should_be_urgent"
    (it was routine) or "false_alarm" (it was urgent), with an optional note (encrypted).
    Also written to the contact log; ``hub triage-feedback export`` makes labelled examples."""

    __tablename__ = "triage_feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"),
                                            index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    verdict: Mapped[str] = mapped_column(String(24))
    note: Mapped[str | None] = mapped_column(Encrypted)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class ReportedReading(Base):
    """A vital sign a patient (or caregiver) reported in a message; the value is encrypted.

    Kept so a later message can be compared with it ("weight 190" after "weight 186" yesterday).
    """

    __tablename__ = "reported_readings"
    __table_args__ = (Index("ix_reported_readings_patient_kind_at", "patient_id", "kind", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    kind: Mapped[str] = mapped_column(String(24))
    value: Mapped[str] = mapped_column(Encrypted)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
