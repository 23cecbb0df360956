"""Outreach: the hub texting or calling a patient first (check-ins, daily weights,
reminders), on a plan's schedule or at a care manager's request, and the pace it sends at."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hub.crypto import Encrypted
from hub.models.base import Base, UTCDateTime, utcnow


class OutreachPlan(Base):
    """A patient's recurring outreach, as the care plan sets it: what (``kind``), how
    (``channel``), and when (an RFC 5545 RRULE from ``starts_local``, a wall-clock time in
    the patient's time zone, so 8 a.m. stays 8 a.m. across daylight-saving changes).

    ``next_at`` is the next occurrence in UTC (None once the rule has ended); the engine
    claims a due plan by compare-and-set on ``version`` and moves ``next_at`` on.
    """

    __tablename__ = "outreach_plans"
    __table_args__ = (UniqueConstraint("patient_id", "kind"),
                      Index("ix_outreach_plans_due", "active", "next_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(24))  # weights | ccm_checkin | discharge_checkin
    channel: Mapped[str] = mapped_column(String(8), default="sms")  # sms | call
    rrule: Mapped[str] = mapped_column(String(200))
    starts_local: Mapped[str] = mapped_column(String(16))  # YYYY-MM-DDTHH:MM, local wall time
    next_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=0)


class Outreach(Base):
    """One text or call to a patient the hub starts: an occurrence of a plan, a reminder
    (appointment, refill) or a care manager's "text a check-in" / "call".

    scheduled (waits for ``send_at``: its due time, moved past quiet hours) -> queued (an
    outbound row holds it; the dispatcher sends it, paced) -> replied (a text from the
    patient came back: ``reply_contact_id``); or skipped (``reason``: opted out, no number)
    or cancelled.
    """

    __tablename__ = "outreaches"
    __table_args__ = (UniqueConstraint("plan_id", "due_at"),
                      Index("ix_outreaches_status_send", "status", "send_at"),
                      Index("ix_outreaches_patient_status", "patient_id", "status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("outreach_plans.id",
                                                           ondelete="SET NULL"))
    # weights | ccm_checkin | discharge_checkin | appointment | refill | checkin | call
    kind: Mapped[str] = mapped_column(String(24))
    channel: Mapped[str] = mapped_column(String(8), default="sms")
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    send_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default="scheduled")
    reason: Mapped[str | None] = mapped_column(String(32))  # why skipped (never patient data)
    # A reminder's own words beyond its kind (an appointment's place), encrypted.
    note: Mapped[str | None] = mapped_column(Encrypted)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))  # who started it
    outbound_id: Mapped[int | None] = mapped_column(ForeignKey("outbound.id"))
    reply_contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    created_by: Mapped[str] = mapped_column(String(64), default="system")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=0)


class SendPace(Base):
    """The practice number's next free send slot per channel: what paces outreach across
    every engine process (GoAlert keeps its send timestamps in the database the same way).

    A claimer locks the row, takes the slots up to a second ahead, one every
    1/HUB_OUTBOUND_PER_SECOND seconds, and moves ``next_slot_at`` past them.
    """

    __tablename__ = "send_pace"

    channel: Mapped[str] = mapped_column(String(8), primary_key=True)
    next_slot_at: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=0)
