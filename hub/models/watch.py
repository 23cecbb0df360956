"""What the line knows of itself: each engine process's last tick, and tallies of events too
frequent (and too cheap to fake) to log one by one, such as refused webhooks."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from hub.models.base import Base, UTCDateTime


class EngineHeartbeat(Base):
    """One engine process (host:pid) and when its tick last finished; ``/readyz`` reads the
    newest. Written at most once a second per process."""

    __tablename__ = "engine_heartbeats"

    process: Mapped[str] = mapped_column(String(128), primary_key=True)
    beat_at: Mapped[datetime] = mapped_column(UTCDateTime)


class EventTally(Base):
    """A running count of one kind of event: ``pending`` since the last summary in the log,
    ``total`` ever (the metric). Bumped by one UPDATE; the engine logs and clears ``pending``."""

    __tablename__ = "event_tallies"

    name: Mapped[str] = mapped_column(String(48), primary_key=True)
    pending: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(BigInteger, default=0)
    first_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # of the pending ones
    last_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
