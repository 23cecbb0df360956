"""Periodic duties of the scheduler tick (the coverage alert): when each is next due.

Any process's tick may run a duty; it claims the row by compare-and-set on ``version`` and
moves ``due_at`` on in the same transaction, so one process runs it per period.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from hub.models.base import Base, UTCDateTime


class Duty(Base):
    """A periodic duty by name and the next time it is due."""

    __tablename__ = "duties"

    name: Mapped[str] = mapped_column(String(48), primary_key=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=0)
