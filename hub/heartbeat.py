"""Each engine process's heartbeat: a row per process, upserted when its tick finishes.

``/readyz`` reads the newest beat: when no engine ticks anywhere (``HUB_ENGINE=separate``
without a ``hub scheduler``, ``HUB_SCHEDULER=off``, every engine stuck), it goes stale within
seconds. The write is one upsert, at most once a second per process; the in-process time of
the last write only spares the database, it decides nothing.
"""

from __future__ import annotations

import os
import socket
import time
import weakref
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session

from hub.db import quick_write, upsert
from hub.models import EngineHeartbeat, utcnow

BEAT_EVERY = 1.0  # seconds between two writes of one process
FORGET_AFTER = timedelta(days=1)  # rows of processes gone this long are deleted
_last: weakref.WeakKeyDictionary[Engine, tuple[int, float]] = weakref.WeakKeyDictionary()


def process_name() -> str:
    """This process as the heartbeat rows name it: host and pid."""
    return f"{socket.gethostname()}:{os.getpid()}"[:128]


def beat(engine: Engine, now: datetime | None = None) -> bool:
    """Record that this process's engine just ticked (unless it did within the second);
    return whether a row was written."""
    pid, clock = os.getpid(), time.monotonic()
    last = _last.get(engine)
    if last is not None and last[0] == pid and clock - last[1] < BEAT_EVERY:
        return False
    now = now or utcnow()
    with quick_write(engine) as conn:
        upsert(conn, EngineHeartbeat, "process", {"process": process_name(), "beat_at": now},
               {"beat_at": now})
        if last is None or last[0] != pid:  # a process's first beat sweeps out the departed
            conn.execute(delete(EngineHeartbeat)
                         .where(EngineHeartbeat.beat_at < now - FORGET_AFTER))
    _last[engine] = (pid, clock)
    return True


def last_beat(session: Session) -> datetime | None:
    """When any engine process last finished a tick (None: never)."""
    return session.scalar(select(func.max(EngineHeartbeat.beat_at)))
