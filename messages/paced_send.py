"""Outreach leaves paced: at most ``HUB_OUTBOUND_PER_SECOND`` a second per channel from the
practice number, across every engine process, and always behind the pages.

The pace is a row in the database (:class:`hub.models.SendPace`), not a counter in a process:
a claimer locks it (FOR UPDATE on PostgreSQL; SQLite's write lock), takes the send slots up to
a second ahead (one every 1/rate seconds from the later of now and the row's next free slot),
claims that many due outreach rows, writes each row's slot into it (``next_attempt_at``) and
moves the row's next free slot past them, in one transaction. Each row is then sent no sooner
than its slot. Slots are never banked: an idle minute gives no burst after it. Only the
engine's tick sends outreach (never a webhook's background run), after it has sent the pages.
"""

from __future__ import annotations

import functools
import math
import time as clock
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from hub.db import id_in, rows_changed
from hub.models import Outbound, SendPace, utcnow
from messages import dispatch
from messages.page_texts import PageTexts
from messages.transport import Transport

HORIZON = timedelta(seconds=1)  # slots taken ahead per claim (the tick runs once a second)
SENDERS = 16  # paced sends waiting for their slot at once, per process (pages have their own)
_pool: ThreadPoolExecutor | None = None


def _senders() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=SENDERS, thread_name_prefix="hub-paced")
    return _pool


def _pace(session: Session, channel: str, now: datetime) -> SendPace:
    pace = session.get(SendPace, channel, with_for_update=True)
    if pace is None:
        session.add(SendPace(channel=channel, next_slot_at=now, version=0))
        session.flush()
        pace = session.get(SendPace, channel, with_for_update=True)
        assert pace is not None
    return pace


def claim(session: Session, channel: str, now: datetime, rate: float,
          limit: int = 1000) -> list[tuple[Outbound, datetime]]:
    """Take the next second's slots and as many due outreach rows; each with its slot."""
    pace = _pace(session, channel, now)
    # A slot further ahead than the horizon was written by a clock other than this one (a
    # test's, or a host's that was off): start from now rather than wait for it.
    start = pace.next_slot_at if now <= pace.next_slot_at <= now + HORIZON else now
    room = min(limit, math.floor((now + HORIZON - start).total_seconds() * rate + 1e-9))
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


def _at_slot(transport: Transport, status_callback: str, now: datetime, started: float,
             item: tuple[tuple[int, str, str, str, str | None, bool], datetime]
             ) -> tuple[str | None, Exception | None]:
    work, slot = item
    # The wall clock decides (every engine shares it); a test's clock far from it falls back
    # to the time since this claim began.
    wait = min((slot - utcnow()).total_seconds(),
               (slot - now).total_seconds() - (clock.monotonic() - started))
    if wait > 0:
        clock.sleep(wait)
    return dispatch._send(transport, status_callback, work)


def send_due(sessions: sessionmaker[Session], transport: Transport, wording: PageTexts,
             now: datetime, rate: float) -> int:
    """Claim and send the next second's outreach, each row at its slot; return how many."""
    started = clock.monotonic()
    done = 0
    for channel in ("sms", "call"):
        with sessions.begin() as session:
            taken = claim(session, channel, now, rate)
            slots = {row.id: slot for row, slot in taken}
            work, refused = dispatch._prepare(session, [row for row, _ in taken], now,
                                              wording, dispatch.DEFAULT_SMS_LIMIT)
        if not taken:
            continue
        outcomes = list(_senders().map(
            functools.partial(_at_slot, transport, wording.links.status_callback(), now,
                              started),
            [(item, slots[item[0]]) for item in work]))
        dispatch._record(sessions, [(item[0], *outcome) for item, outcome in
                                    zip(work, outcomes, strict=True)]
                         + [(row_id, None, dispatch.OPTED_OUT) for row_id in sorted(refused)],
                         now, wording)
        done += len(taken)
    return done
