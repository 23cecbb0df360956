"""A call to the practice line as it moves through the voice menu and the dials to staff."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.crypto import Encrypted
from hub.models.base import Base, UTCDateTime, utcnow
from hub.models.contacts import Contact


class Call(Base):
    """One inbound call (one CallSid) and where it stands; every webhook of the call reads
    and moves this row, so any worker of any host can answer the next callback.

    ``stage``: language (asked the language), which (asked which patient), birth_date
    (asked the date of birth), menu, dialing, connected, voicemail, ended.
    """

    __tablename__ = "calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_sid: Mapped[str] = mapped_column(String(64), unique=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    language: Mapped[str | None] = mapped_column(String(8))
    stage: Mapped[str] = mapped_column(String(16), default="menu")
    # The escalation step being dialled (or last dialled); -1 before the first dial.
    dial_step: Mapped[int] = mapped_column(Integer, default=-1)
    fallback_tried: Mapped[bool] = mapped_column(default=False)
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recording_url: Mapped[str | None] = mapped_column(Encrypted)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=0)

    contact: Mapped[Contact] = relationship()


class CallAttempt(Base):
    """One ``<Dial>`` of the caller to staff (one policy step, or the fallback number).

    ``accepted_by_id`` is set by compare-and-set: of several people rung together, only the
    first to press 1 wins. ``dial_status`` and ``seconds`` are Twilio's DialCallStatus and
    DialCallDuration, recorded once.
    """

    __tablename__ = "call_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"), index=True)
    step: Mapped[int] = mapped_column(Integer)  # -1: the fallback number
    staff_ids: Mapped[str] = mapped_column(String(255), default="")  # who was rung, comma-separated
    ring_seconds: Mapped[int] = mapped_column(Integer, default=20)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dial_status: Mapped[str | None] = mapped_column(String(16))
    seconds: Mapped[int | None] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    call: Mapped[Call] = relationship()

    @property
    def rung(self) -> list[int]:
        return [int(part) for part in self.staff_ids.split(",") if part]
