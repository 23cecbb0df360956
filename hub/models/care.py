"""The patient's care team, care plans and problem list (from FHIR)."""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.crypto import Encrypted
from hub.models.base import Base
from hub.models.people import Patient, Staff


class CareTeam(Base):
    """A patient's care team (FHIR CareTeam)."""

    __tablename__ = "care_teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    fhir_id: Mapped[str | None] = mapped_column(String(128), unique=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
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
    team_id: Mapped[int] = mapped_column(ForeignKey("care_teams.id", ondelete="CASCADE"))
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    role_code: Mapped[str | None] = mapped_column(String(64))
    role_display: Mapped[str | None] = mapped_column(String(256))
    is_care_manager: Mapped[bool] = mapped_column(Boolean, default=False)

    team: Mapped[CareTeam] = relationship(back_populates="members")
    staff: Mapped[Staff] = relationship()


class CarePlan(Base):
    """A patient's care plan; the narrative and activities are kept encrypted as JSON."""

    __tablename__ = "care_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    fhir_id: Mapped[str | None] = mapped_column(String(128), unique=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    status: Mapped[str | None] = mapped_column(String(32))
    intent: Mapped[str | None] = mapped_column(String(32))
    title: Mapped[str | None] = mapped_column(Encrypted)
    content: Mapped[str | None] = mapped_column(Encrypted)  # JSON: description, activities

    patient: Mapped[Patient] = relationship()


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
