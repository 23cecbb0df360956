"""Care transitions: a discharge or ED visit the EHR sent, the follow-up it owes, and the
EHR clients allowed to send them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.models.base import Base, UTCDateTime, utcnow
from hub.models.contacts import Contact
from hub.models.people import Patient, Staff


class TransitionTask(Base):
    """One discharge (inpatient, ED, observation...) and the interactive contact it owes.

    Opened once per Encounter (by its FHIR id, and by its identifier when it has one): an
    Encounter sent again finds this row. ``open`` until the care manager records reaching
    the patient (``done``); ``contact_id`` is the contact the engine pages about it when it
    is still open at ``page_at`` (it escalates like any other contact).
    """

    __tablename__ = "transition_tasks"
    __table_args__ = (Index("ix_transition_tasks_status_page", "status", "page_at"),
                      Index("ix_transition_tasks_due", "due_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(16), unique=True)  # opaque, in URLs
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    encounter_fhir_id: Mapped[str] = mapped_column(String(128), unique=True)
    # "system|value" of the Encounter's first identifier: the same visit under a new id.
    encounter_identifier: Mapped[str | None] = mapped_column(String(300), unique=True)
    encounter_class: Mapped[str] = mapped_column(String(16))  # IMP | EMER | ACUTE | NONAC | SS
    disposition: Mapped[str | None] = mapped_column(String(64))  # dischargeDisposition code
    discharged_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)  # end of the 2nd business day
    page_at: Mapped[datetime] = mapped_column(UTCDateTime)  # still open then: page
    care_manager_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | done
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), unique=True)
    source: Mapped[str] = mapped_column(String(80))  # "cli" or "ehr:<client name>"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=0)

    patient: Mapped[Patient] = relationship()
    care_manager: Mapped[Staff | None] = relationship(foreign_keys=[care_manager_id])
    done_by: Mapped[Staff | None] = relationship(foreign_keys=[done_by_id])
    contact: Mapped[Contact | None] = relationship()
    attempts: Mapped[list[TransitionAttempt]] = relationship(
        back_populates="task", order_by="TransitionAttempt.id")


class TransitionAttempt(Base):
    """One try at the interactive contact: reached (phone, video, in person) or not."""

    __tablename__ = "transition_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("transition_tasks.id"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    method: Mapped[str] = mapped_column(String(16))  # phone | video | in_person | not_reached
    reached: Mapped[bool] = mapped_column(Boolean)
    minutes: Mapped[int | None] = mapped_column(Integer)
    via: Mapped[str] = mapped_column(String(16), default="staff_page")  # or "callback"

    task: Mapped[TransitionTask] = relationship(back_populates="attempts")
    staff: Mapped[Staff] = relationship()


class FhirClient(Base):
    """An EHR allowed to post to ``/fhir``: its bearer token is kept only as a SHA-256."""

    __tablename__ = "fhir_clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
