"""A bad row is set aside, not a wall: the engine's failure boundary around each row.

The engine's duties take their rows (received contacts, due timers, outbound messages) a
batch to a transaction. When a batch raises, :func:`one_by_one` runs each of its rows in a
transaction of its own, so every other row goes on; a row that raises alone is counted in
``row_failures`` (in the database: several processes run the engine), and at
:data:`MAX_FAILURES` it is quarantined: marked so no claim takes it again, logged in the
contact log (the exception's type only, never its text) and the managers are texted (once
in :data:`QUIET` at most).
``hub quarantine`` lists and releases them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from hub import contact_log, outbox
from hub.db import insert_unless_duplicate, rows_changed
from hub.models import Contact, Outbound, RowFailure, Timer

log = logging.getLogger(__name__)
MAX_FAILURES = 3
QUIET = timedelta(minutes=10)  # at most one text to the managers in this time
KINDS = ("contact", "timer", "outbound")
WHAT = {"contact": "text, call or message", "timer": "escalation timer",
        "outbound": "outbound message"}
# The managers' SMS: (what the row was, the contact's opaque reference, the error's type).
SetAsideWording = Callable[[str, str | None, str], str]
# Not the row's fault: the database itself is away or busy; the duty's boundary logs it.
TRANSIENT = (OperationalError,)
T = TypeVar("T")


def in_batches(sessions: sessionmaker[Session], kind: str,
               claim: Callable[[Session, int, set[int]], list[T]],
               work: Callable[[Session, list[T]], object], row_id: Callable[[T], int],
               alone: Callable[[Session, int], int], now: datetime, wording: SetAsideWording,
               limit: int, batch: int) -> int:
    """Claim up to ``batch`` rows at a time (``claim(session, n, skip)``) and ``work`` them in
    that transaction, until ``limit`` or none are left; return how many were done.

    A batch that raises is done again :func:`one_by_one` with ``alone``; the rows that failed
    alone are skipped for the rest of this run (the next tick tries them again)."""
    done, skip = 0, set[int]()
    while done < limit:
        claimed: list[T] = []
        wanted = min(batch, limit - done)
        try:
            with sessions.begin() as session:
                claimed = claim(session, wanted, skip)
                if not claimed:
                    return done
                work(session, claimed)
            done += len(claimed)
            if len(claimed) < wanted:  # none left to claim just now: no empty write to find it
                return done
        except TRANSIENT:
            raise
        except Exception:
            if not claimed:
                raise
            alone_done, bad = one_by_one(sessions, kind, [row_id(c) for c in claimed], alone,
                                         now, wording)
            done, skip = done + alone_done, skip | bad
    return done


def one_by_one(sessions: sessionmaker[Session], kind: str, row_ids: Iterable[int],
               work: Callable[[Session, int], int], now: datetime,
               wording: SetAsideWording) -> tuple[int, set[int]]:
    """Run ``work(session, row_id)`` for each row in a transaction of its own; a row that
    raises is counted (:func:`failed`). Returns the work done and the rows that failed."""
    done, bad = 0, set()
    for row_id in row_ids:
        try:
            with sessions.begin() as session:
                done += work(session, row_id)
        except TRANSIENT:
            raise
        except Exception as exc:
            bad.add(row_id)
            failed(sessions, kind, row_id, exc, now, wording)
    return done, bad


def failed(sessions: sessionmaker[Session], kind: str, row_id: int, exc: BaseException,
           now: datetime, wording: SetAsideWording) -> bool:
    """Count a failure of one row (in its own transaction); True when it was quarantined."""
    error = type(exc).__name__
    log.error("engine: %s %s failed (%s)", kind, row_id, error)
    with sessions.begin() as session:
        return record_failure(session, kind, row_id, error, now, wording)


def record_failure(session: Session, kind: str, row_id: int, error: str, now: datetime,
                   wording: SetAsideWording, limit: int = MAX_FAILURES) -> bool:
    """Count one failure of a row; at ``limit``, quarantine it, log it and text the managers
    (not for a failing alert to the managers: that would only make another)."""
    key = f"{kind}:{row_id}"
    session.execute(insert_unless_duplicate(session.connection(), RowFailure, "key").values(
        key=key, kind=kind, row_id=row_id, failures=0, last_error=error[:64], first_at=now,
        last_at=now))
    failures = session.scalar(
        update(RowFailure).where(RowFailure.key == key, RowFailure.quarantined_at.is_(None))
        .values(failures=RowFailure.failures + 1, last_error=error[:64], last_at=now)
        .returning(RowFailure.failures))
    if failures is None or failures < limit:
        return False
    session.execute(update(RowFailure).where(RowFailure.key == key)
                    .values(quarantined_at=now))
    contact_id, alert = _set_aside(session, kind, row_id, now)
    ref = session.scalar(select(Contact.ref).where(Contact.id == contact_id)) \
        if contact_id is not None else None
    texted = outbox.alert_managers(session, wording(WHAT[kind], ref, error), now) \
        if alert and not _told_lately(session, key, now) else 0
    contact_log.append(session, "engine.quarantined", contact_id=contact_id, at=now,
                       detail={"kind": kind, "row_id": row_id, "failures": failures,
                               "error": error, "managers_texted": texted})
    return True


def _told_lately(session: Session, key: str, now: datetime) -> bool:
    """Another row was set aside within :data:`QUIET` (the managers were texted then, and
    ``hub quarantine list`` shows them all): one cause must not make a storm of texts."""
    return session.scalar(select(RowFailure.key).where(
        RowFailure.key != key, RowFailure.quarantined_at > now - QUIET).limit(1)) is not None


def _set_aside(session: Session, kind: str, row_id: int,
               now: datetime) -> tuple[int | None, bool]:
    """Mark the row so no claim takes it; its contact's id, and whether to alert."""
    if kind == "contact":
        session.execute(update(Contact).where(Contact.id == row_id,
                                              Contact.status == "received")
                        .values(status="quarantined", version=Contact.version + 1))
        return row_id, True
    if kind == "timer":
        session.execute(update(Timer).where(Timer.id == row_id, Timer.fired_at.is_(None))
                        .values(fired_at=now, outcome="quarantined", version=Timer.version + 1))
        return session.scalar(select(Timer.contact_id).where(Timer.id == row_id)), True
    session.execute(update(Outbound).where(Outbound.id == row_id,
                                           Outbound.status.in_(("pending", "sending")))
                    .values(status="quarantined", claimed_until=None,
                            version=Outbound.version + 1))
    row = session.execute(select(Outbound.contact_id, Outbound.kind)
                          .where(Outbound.id == row_id)).first()
    return (row.contact_id, row.kind != "alert") if row is not None else (None, True)


def quarantined(session: Session) -> list[RowFailure]:
    """The rows set aside, oldest first."""
    return list(session.scalars(select(RowFailure).where(RowFailure.quarantined_at.is_not(None))
                                .order_by(RowFailure.quarantined_at, RowFailure.key)))


def release(session: Session, kind: str, row_id: int, now: datetime, actor: str) -> bool:
    """Put a quarantined row back in line (it is taken at the next tick, its count reset);
    False when that row is not quarantined."""
    if rows_changed(session, update(RowFailure).where(
            RowFailure.key == f"{kind}:{row_id}", RowFailure.quarantined_at.is_not(None))
            .values(failures=0, quarantined_at=None)) != 1:
        return False
    contact_id: int | None = row_id
    if kind == "contact":
        session.execute(update(Contact).where(Contact.id == row_id,
                                              Contact.status == "quarantined")
                        .values(status="received", version=Contact.version + 1))
    elif kind == "timer":
        session.execute(update(Timer).where(Timer.id == row_id,
                                            Timer.outcome == "quarantined")
                        .values(fired_at=None, outcome=None, version=Timer.version + 1))
        contact_id = session.scalar(select(Timer.contact_id).where(Timer.id == row_id))
    else:
        session.execute(update(Outbound).where(Outbound.id == row_id,
                                               Outbound.status == "quarantined")
                        .values(status="pending", next_attempt_at=now,
                                version=Outbound.version + 1))
        contact_id = session.scalar(select(Outbound.contact_id).where(Outbound.id == row_id))
    contact_log.append(session, "engine.released", contact_id=contact_id, at=now, actor=actor,
                       detail={"kind": kind, "row_id": row_id})
    return True
