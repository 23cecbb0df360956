"""On-call shifts: who holds which on-call layer from when to when (UTC)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.models.base import Base, UTCDateTime
from hub.models.people import Staff


class Shift(Base):
    """One on-call shift. ``source_key`` (calendar UID + occurrence) makes re-imports idempotent."""

    __tablename__ = "shifts"
    __table_args__ = (
        UniqueConstraint("source_key", name="uq_shifts_source_key"),
        Index("ix_shifts_window", "layer", "starts_at", "ends_at"),
        # "who is on call at t" reads the shifts not yet ended (history grows, the future not)
        Index("ix_shifts_ends_at", "ends_at", "starts_at"),
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

    staff: Mapped[Staff] = relationship()
