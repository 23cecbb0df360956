"""Outreach leaves paced: at most ``HUB_OUTBOUND_PER_SECOND`` a second per channel from the
practice number, across every engine process, and always behind the pages.

The pace is a row in the database (:class:`hub.models.SendPace`), not a counter in a process:
a claimer locks it (FOR UPDATE on PostgreSQL; SQLite's write lock), takes the send slots up to
a second ahead (one every 1/rate seconds from the later of now and the row's next free slot),
claims that many due outreach rows, writes each row's slot into it (``next_attempt_at``) and
moves the row's next free slot past them, in one transaction. Each row is then sent no sooner
than its slot. Slots are never banked: an idle minute gives no burst after it. Only the
engine's tick sends outreach (never a webhook's background run), after it has sent the pages,
and it does not wait for the slots: its senders do, on threads of their own.
"""

from __future__ import annotations

import logging
import math
import os
import sys
import threading
import time as clock
from concurrent.futures import Future, ThreadPoolExecutor, wait
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from hub.db import id_in, rows_changed
from hub.models import Outbound, SendPace, utcnow
from messages import dispatch
from messages.page_texts import PageTexts
from messages.transport import Transport

log = logging.getLogger(__name__)
HORIZON = timedelta(seconds=1)  # slots taken ahead per claim (the tick runs once a second)
LEAD = timedelta(seconds=0.25)  # the first slot of a claim is this far ahead of it
MAX_LATE = 0.1  # seconds after its slot a text may still leave (half a slot at most)
FOREIGN_CLOCK = timedelta(minutes=1)  # a "now" further than this from the wall is a test's
SENDERS = 16  # paced sends waiting for their slot at once, per process (pages have their own)
BACKLOG = 4 * SENDERS  # claimed rows this process may hold unsent before it claims more
_pool: ThreadPoolExecutor | None = None
_pool_pid: int | None = None
_pending: list[Future[None]] = []  # this process's own sends in flight (never a rate decision)
_lock = threading.Lock()


def _senders() -> ThreadPoolExecutor:
    """This process's paced senders (a forked worker makes its own)."""
    global _pool, _pool_pid
    if _pool is None or _pool_pid != os.getpid():
        _pool = ThreadPoolExecutor(max_workers=SENDERS, thread_name_prefix="hub-paced")
        _pool_pid = os.getpid()
        _pending.clear()
    return _pool


def _pace(session: Session, channel: str, now: datetime) -> SendPace:
    pace = session.get(SendPace, channel, with_for_update=True)
    if pace is None:
        session.add(SendPace(channel=channel, next_slot_at=now, version=0))
        session.flush()
        pace = session.get(SendPace, channel, with_for_update=True)
        assert pace is not None
    return pace


def _wall(now: datetime) -> datetime:
    """The wall clock, unless ``now`` is a test's clock far from it."""
    wall = utcnow()
    return wall if abs(wall - now) < FOREIGN_CLOCK else now


def claim(session: Session, channel: str, now: datetime, rate: float,
          limit: int = 1000) -> list[tuple[Outbound, datetime]]:
    """Take the next second's slots and as many due outreach rows; each with its slot."""
    pace = _pace(session, channel, now)
    now = _wall(now)  # read under the lock: another engine may have held it a while
    # The first slot leaves time to commit the claim and wake a sender: a slot already past
    # when its sender wakes would leave close behind the one before.
    earliest = now + LEAD
    ahead = pace.next_slot_at - earliest
    if HORIZON < ahead <= FOREIGN_CLOCK:
        return []  # the next second is taken
    # A slot much further ahead was written by a clock other than this one (a test's, or a
    # host's that was off): start afresh rather than wait for it.
    start = pace.next_slot_at if timedelta(0) <= ahead <= HORIZON else earliest
    room = min(limit, math.floor((earliest + HORIZON - start).total_seconds() * rate + 1e-9))
    if room <= 0:
        return []
    ids = list(session.scalars(
        select(Outbound.id).where(dispatch._due(now), Outbound.kind == "outreach",
                                  Outbound.channel == channel)
        .order_by(Outbound.next_attempt_at, Outbound.id).limit(room)
        .with_for_update(skip_locked=True)))
    if not ids:
        return []
    claimed = list(session.scalars(
        update(Outbound).where(id_in(session, Outbound.id, ids), dispatch._due(now))
        .values(status="sending", claimed_until=now + dispatch.LEASE,
                attempts=Outbound.attempts + 1, version=Outbound.version + 1)
        .returning(Outbound.id).execution_options(synchronize_session=False)))
    rows = list(session.scalars(
        select(Outbound).where(id_in(session, Outbound.id, claimed))
        .order_by(Outbound.next_attempt_at, Outbound.id)
        .execution_options(populate_existing=True))) if claimed else []
    interval = timedelta(seconds=1 / rate)
    slots = [start + interval * i for i in range(len(rows))]
    for row, slot in zip(rows, slots, strict=True):
        row.next_attempt_at = slot  # when it may leave: the record the pacing test reads
    if rows and rows_changed(session, update(SendPace).where(
            SendPace.channel == channel, SendPace.version == pace.version)
            .values(next_slot_at=start + interval * len(rows),
                    version=SendPace.version + 1)) != 1:
        raise RuntimeError("the send pace changed under its lock")
    return list(zip(rows, slots, strict=True))


def _at_slot(sessions: sessionmaker[Session], transport: Transport, wording: PageTexts,
             now: datetime, started: float, rate: float,
             item: tuple[tuple[int, str, str, str, str | None, bool], datetime]) -> None:
    """Wait for the row's slot, send it, record the outcome (its own transaction). A sender
    that wakes too late (the machine was busy) gives the row back for a new slot rather than
    send it close behind the one before."""
    work, slot = item
    try:
        wall = abs(utcnow() - now) < FOREIGN_CLOCK
        if wall:  # the wall clock decides: every engine's
            until = lambda: (slot - utcnow()).total_seconds()  # noqa: E731
        else:  # a test's clock: the time since this claim began
            until = lambda: ((slot - now).total_seconds()  # noqa: E731
                             - (clock.monotonic() - started))
        if until() > 0:
            clock.sleep(until())
        if wall and -until() > min(MAX_LATE, 0.5 / rate):
            with sessions.begin() as session:
                session.execute(update(Outbound).where(
                    Outbound.id == work[0], Outbound.status == "sending").values(
                    status="pending", claimed_until=None, attempts=Outbound.attempts - 1))
            return
        sid, error = dispatch._send(transport, wording.links.status_callback(), work)
        dispatch._record(sessions, [(work[0], sid, error)], now, wording)
    except Exception:  # the row's lease runs out and it is claimed again
        log.error("outreach row %s not recorded (%s); it is taken again after its lease",
                  work[0], type(sys.exc_info()[1]).__name__)


def send_due(sessions: sessionmaker[Session], transport: Transport, wording: PageTexts,
             now: datetime, rate: float) -> int:
    """Claim the next second's outreach and hand each row to a sender that waits for its
    slot; return how many were claimed. The tick does not wait for them: pages that arrive
    meanwhile are sent by the next tick, never behind a second of outreach."""
    if _backlog() > BACKLOG:  # this process's senders are behind: leave the rows to others
        return 0
    done = 0
    for channel in ("sms", "call"):
        # Slots start from the moment of the claim, not the tick's start (the tick's other
        # duties took a while): a slot already past would leave at once, closer than 1/rate
        # to the one before. A test's clock, far from the wall's, keeps its own time.
        now = _wall(now)
        started = clock.monotonic()
        with sessions.begin() as session:
            taken = claim(session, channel, now, rate)
            slots = {row.id: slot for row, slot in taken}
            work, refused = dispatch._prepare(session, [row for row, _ in taken], now,
                                              wording, dispatch.DEFAULT_SMS_LIMIT,
                                              dispatch.DEFAULT_ROUNDS_EVERY)
        if not taken:
            continue
        if refused:
            dispatch._record(sessions, [(row_id, None, dispatch.OPTED_OUT)
                                        for row_id in sorted(refused)], now, wording)
        pool = _senders()
        with _lock:
            _pending[:] = [f for f in _pending if not f.done()]
            _pending.extend(pool.submit(_at_slot, sessions, transport, wording, now, started,
                                        rate, (item, slots[item[0]])) for item in work)
        done += len(taken)
    return done


def _backlog() -> int:
    with _lock:
        return sum(1 for f in _pending if not f.done())


def drain(timeout: float = 30.0) -> None:
    """Wait until this process's paced sends are sent and recorded (tests, shutdown)."""
    with _lock:
        waiting = list(_pending)
    wait(waiting, timeout=timeout)
