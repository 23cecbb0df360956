"""On-call shifts: who holds which on-call layer from when to when (UTC), and how far ahead
each imported calendar was expanded into them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.models.base import Base, UTCDateTime, span_is_long, utcnow
from hub.models.people import Staff


class Shift(Base):
    """One on-call shift. ``source_key`` (calendar UID + occurrence) makes re-imports idempotent."""

    __tablename__ = "shifts"
    __table_args__ = (
        UniqueConstraint("source_key", name="uq_shifts_source_key"),
        Index("ix_shifts_window", "layer", "starts_at", "ends_at"),
        # "who is on call at t": short shifts by start time, long ones by their flag
        Index("ix_shifts_starts_at", "starts_at", "ends_at"),
        Index("ix_shifts_long", "ends_at", postgresql_where=text("is_long = true"),
              sqlite_where=text("is_long = 1")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    layer: Mapped[str] = mapped_column(String(32), default="primary")  # primary | backup
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    source_key: Mapped[str] = mapped_column(String(512))
    # The calendar the shift came from (X-WR-CALNAME or the file's name): a re-import of that
    # calendar takes off the future shifts of events it no longer holds.
    calendar: Mapped[str | None] = mapped_column(String(200))
    is_long: Mapped[bool] = mapped_column(Boolean, default=span_is_long, onupdate=span_is_long)

    staff: Mapped[Staff] = relationship()


class ScheduleCalendar(Base):
    """A calendar ``hub import-schedule`` loaded (by the name shifts carry in ``calendar``):
    its recurring events became shifts only until ``expanded_until``, and ``events_after``
    says whether it held events beyond, which are not in the hub until the next import."""

    __tablename__ = "schedule_calendars"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expanded_until: Mapped[datetime] = mapped_column(UTCDateTime)
    events_after: Mapped[bool] = mapped_column(Boolean)
