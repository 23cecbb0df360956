"""Refused webhooks (bad or missing Twilio signature, another account): counted, not logged.

An unsigned request is anyone's to send, a thousand a second. It costs one UPDATE of a
tally row and never the log head's lock, so junk cannot make paging queue behind it or grow
the log. Once a minute at most, the engine writes one ``security.webhooks_refused`` entry
with the count since the last one (never anything the requests carried).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine, case, update
from sqlalchemy.orm import Session

from hub import contact_log
from hub.db import quick_write, upsert
from hub.duties import claim_duty
from hub.models import EventTally

TALLY = "webhook_refused"
SUMMARY_DUTY = "refusal_summary"
SUMMARY_EVERY = timedelta(minutes=1)


def count(engine: Engine, now: datetime) -> None:
    """Add one refused webhook to the tally (one statement, in its own transaction)."""
    first = case((EventTally.pending == 0, now), else_=EventTally.first_at)
    with quick_write(engine) as conn:
        upsert(conn, EventTally, "name",
               {"name": TALLY, "pending": 1, "total": 1, "first_at": now, "last_at": now},
               {"pending": EventTally.pending + 1, "total": EventTally.total + 1,
                "first_at": first, "last_at": now})


def total(session: Session) -> int:
    """Refused webhooks ever counted (the metric)."""
    row = session.get(EventTally, TALLY, populate_existing=True)
    return row.total if row is not None else 0


def summarise(session: Session, now: datetime) -> int:
    """The tick's duty, once a minute in one process: log the refusals counted since the last
    summary (when there were any) and take them off the tally; return how many."""
    if not claim_duty(session, SUMMARY_DUTY, now, SUMMARY_EVERY):
        return 0
    row = session.get(EventTally, TALLY, populate_existing=True)
    if row is None or row.pending == 0:
        return 0
    seen = row.pending
    contact_log.append(session, "security.webhooks_refused", actor="twilio", at=now, detail={
        "count": seen, "first_at": row.first_at, "last_at": row.last_at,
        "reason": "missing or invalid X-Twilio-Signature, or another AccountSid"})
    # Those counted since the read above stay pending, for the next summary.
    session.execute(update(EventTally).where(EventTally.name == TALLY).values(
        pending=EventTally.pending - seen,
        first_at=case((EventTally.pending == seen, None), else_=now)))
    return seen
