"""Rows the engine failed on: how often, and whether they are set aside (quarantined)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from hub.models.base import Base, UTCDateTime


class RowFailure(Base):
    """A contact, timer or outbound row whose processing raised, counted across processes.

    At the limit the row itself is marked (contact ``quarantined``, timer outcome
    ``quarantined``, outbound ``quarantined``) so no claim takes it again until released.
    """

    __tablename__ = "row_failures"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)  # "<kind>:<row id>"
    kind: Mapped[str] = mapped_column(String(16))  # contact | timer | outbound
    row_id: Mapped[int] = mapped_column(Integer)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    # The exception's type only: its text may quote patient data.
    last_error: Mapped[str] = mapped_column(String(64))
    first_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_at: Mapped[datetime] = mapped_column(UTCDateTime)
    quarantined_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
