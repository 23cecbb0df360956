"""Is the line ready: is an engine ticking, and is nothing left waiting past its time?

``/readyz`` asks :func:`problems`; each problem is one line an operator can act on (counts
and ages only, never patient data).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.heartbeat import last_beat
from hub.models import Contact, Timer

ENGINE_SILENT_AFTER = timedelta(seconds=10)  # no tick finished for this long: not ready
LATE_AFTER = timedelta(minutes=1)  # a timer or a received contact waiting longer: not ready


def overdue_timers(session: Session, now: datetime) -> int:
    """Escalation timers still unfired more than a minute after they were due."""
    return session.scalar(select(func.count(Timer.id)).where(
        Timer.fired_at.is_(None), Timer.due_at < now - LATE_AFTER)) or 0


def waiting_intake(session: Session, now: datetime) -> int:
    """Contacts stored more than a minute ago and still not routed (no page, not queued)."""
    return session.scalar(select(func.count(Contact.id)).where(
        Contact.status == "received", Contact.received_at < now - LATE_AFTER)) or 0


def problems(session: Session, now: datetime) -> list[str]:
    """Why the line is not ready, one line each; empty when it is."""
    found = []
    beat = last_beat(session)
    if beat is None:
        found.append("no engine has ever ticked: start `hub scheduler` "
                     "(or HUB_ENGINE=inline with HUB_SCHEDULER=on)")
    elif now - beat > ENGINE_SILENT_AFTER:
        found.append(f"no engine has ticked for {int((now - beat).total_seconds())} s "
                     "(is a `hub scheduler` or a web process with HUB_SCHEDULER=on running?)")
    timers = overdue_timers(session, now)
    if timers:
        found.append(f"{timers} escalation timer(s) overdue by more than a minute")
    waiting = waiting_intake(session, now)
    if waiting:
        found.append(f"{waiting} contact(s) waiting for intake for more than a minute")
    return found
