"""Care-management time: minutes staff spent on a patient, for the monthly CCM report."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from hub.models.base import Base, UTCDateTime


class CareTimeEntry(Base):
    """Time one staff member spent on one patient's care, with where the figure came from.

    ``staff_type`` (physician | clinical | other) is fixed when the time is recorded: CCM
    counts the work as done by the person's role at that moment, whatever it becomes later.
    ``source`` says how the minutes were given (callback, message review, call).
    """

    __tablename__ = "care_time_entries"
    __table_args__ = (Index("ix_care_time_entries_patient_at", "patient_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    staff_type: Mapped[str] = mapped_column(String(16))
    seconds: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(24))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
