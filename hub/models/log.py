"""The contact log: append-only, encrypted details, each entry chained to the previous by HMAC."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from hub.crypto import Encrypted
from hub.models.base import Base, UTCDateTime


class LogEntry(Base):
    """One event; ``mac`` = HMAC(log key, previous mac + this entry's canonical plaintext)."""

    __tablename__ = "log_entries"
    # The access audit reads the access.* events newest first.
    __table_args__ = (Index("ix_log_entries_event_at", "event", "at"),)

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    event: Mapped[str] = mapped_column(String(48))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    actor: Mapped[str | None] = mapped_column(String(128))
    detail: Mapped[str] = mapped_column(Encrypted)  # JSON
    mac: Mapped[str] = mapped_column(String(64))


class LogHead(Base):
    """The single row every append locks: the last sequence number and its mac."""

    __tablename__ = "log_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    mac: Mapped[str] = mapped_column(String(64), default="")
