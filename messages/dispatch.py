"""Send what the outbound table holds: claim due rows, send, record, retry with backoff.

Any process may dispatch: a row is claimed by compare-and-set (and SKIP LOCKED on
PostgreSQL) with a lease, so two processes never send the same row at once, and a row whose
sender died mid-send is taken again when its lease runs out.
"""

from __future__ import annotations

import functools
import logging
import os
import random
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, bindparam, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from hub import contact_log, opt_outs, outbox, quarantine
from hub.db import id_in, read_snapshot
from hub.models import Outbound, Staff
from hub.phones import phone_index
from messages import page_calls, page_limits, round_calls, texts
from messages.page_texts import PageTexts
from messages.transport import UNREACHABLE_CODES, SendError, Transport
from routing.escalation import call_instead, hasten
from routing.policy import LastResort, SmsLimit

log = logging.getLogger(__name__)
LEASE = timedelta(seconds=60)
MAX_ATTEMPTS = 6
DEFAULT_SMS_LIMIT = SmsLimit()
DEFAULT_ROUNDS_EVERY = LastResort().every
SENDERS = 8  # requests to Twilio in flight at once, per process
OPTED_OUT = SendError("the number opted out of texts (STOP)", retryable=False, code=21610)
_pool: ThreadPoolExecutor | None = None
_pool_pid: int | None = None


def backoff(attempt: int) -> timedelta:
    """Exponential backoff with jitter: about 2, 4, 8, 16, 32 s, then every 30 to 60 s (a
    page must go out soon after Twilio recovers)."""
    base = min(2.0 ** attempt, 60.0)
    return timedelta(seconds=base * random.uniform(0.5, 1.0))


def _due(now: datetime) -> ColumnElement[bool]:
    """An outbound row waiting to be sent: pending, or its sender's lease ran out."""
    return and_(or_(Outbound.status == "pending",
                    (Outbound.status == "sending") & (Outbound.claimed_until < now)),
                Outbound.next_attempt_at <= now)


def _any_due(sessions: sessionmaker[Session], now: datetime) -> bool:
    """Looked for in a read first: a pass that finds nothing due takes no write lock (on
    SQLite, the one writer every webhook waits for)."""
    with read_snapshot(sessions) as session:
        return session.scalars(select(Outbound.id).where(_due(now), Outbound.kind != "outreach")
                               .limit(1)).first() is not None


def _claim(session: Session, now: datetime, limit: int, only_id: int | None) -> list[Outbound]:
    """Lock up to ``limit`` due rows (others' locked rows skipped) and take them, all with one
    compare-and-set update: a row another process took meanwhile is no longer due."""
    query = select(Outbound.id).where(_due(now))
    if only_id is not None:
        query = query.where(Outbound.id == only_id)
    else:  # outreach leaves paced, behind the pages (messages.paced_send)
        query = query.where(Outbound.kind != "outreach")
    ids = list(session.scalars(
        query.order_by(Outbound.next_attempt_at, Outbound.id).limit(limit)
        .with_for_update(skip_locked=True)
    ))
    if not ids:
        return []
    claimed = list(session.scalars(
        update(Outbound).where(id_in(session, Outbound.id, ids), _due(now))
        .values(status="sending", claimed_until=now + LEASE, attempts=Outbound.attempts + 1,
                version=Outbound.version + 1)
        .returning(Outbound.id)
        .execution_options(synchronize_session=False)
    ))
    return list(session.scalars(
        select(Outbound).where(id_in(session, Outbound.id, claimed))
        .order_by(Outbound.next_attempt_at, Outbound.id)
        .execution_options(populate_existing=True)
    )) if claimed else []


def _contact_method_broken(session: Session, row: Outbound, page: Outbound, error: SendError,
                           now: datetime, wording: PageTexts) -> bool:
    """A staff number refuses SMS pages (opted out, landline, invalid): page that person by
    call instead and tell the managers to fix the number. False when no call can be tried."""
    staff = session.get(Staff, row.staff_id) if row.staff_id is not None else None
    if staff is None or page.page_id is None:
        return False
    calling = call_instead(session, page.page_id, now, wording)  # the patient first
    contact_log.append(session, "contact_method.broken", contact_id=page.contact_id, at=now,
                       detail={"staff_id": staff.id, "channel": row.channel,
                               "code": error.code, "called_instead": calling})
    outbox.alert_managers(session, texts.staff_number_broken(staff.name, row.channel,
                                                             error.code, calling),
                          now, leave_out=staff.id)
    return calling


def _failed(session: Session, row: Outbound, error: SendError, now: datetime,
            wording: PageTexts) -> None:
    row.last_error = str(error)
    if error.unsure and row.unsure_since is None:
        row.unsure_since = now
    if error.retryable:
        # Twilio's side (5xx, 429, no answer): the page is retried for as long as it is
        # wanted (an acknowledged contact's pages are cancelled), while escalation keeps its
        # own clock; giving up would lose every page of an outage longer than a minute.
        row.status = "pending"
        row.next_attempt_at = now + backoff(row.attempts)
        if row.attempts <= MAX_ATTEMPTS:  # then quietly: one entry a minute says nothing new
            contact_log.append(session, "outbound.retry", contact_id=row.contact_id, at=now,
                               detail={"outbound_id": row.id, "attempt": row.attempts,
                                       "error": str(error), "retry_at": row.next_attempt_at})
        return
    row.status = "failed"
    contact_log.append(session, "outbound.failed", contact_id=row.contact_id, at=now,
                       detail={"outbound_id": row.id, "kind": row.kind, "channel": row.channel,
                               "staff_id": row.staff_id, "error": str(error),
                               "unreachable": error.code in UNREACHABLE_CODES})
    pages = outbox.carried(session, row)
    # The same person is called instead, once (for a bundle, about its first contact: a
    # nurse is not rung once per bundled page); every other page's contact moves on at once.
    if (pages and row.channel == "sms" and error.code in UNREACHABLE_CODES
            and _contact_method_broken(session, row, pages[0], error, now, wording)):
        pages = pages[1:]
    for page in pages:
        if page.contact_id is not None:
            hasten(session, page.contact_id, now, f"page {page.id} could not be sent")


def _senders() -> ThreadPoolExecutor:
    """This process's sending threads (a forked worker makes its own)."""
    global _pool, _pool_pid
    if _pool is None or _pool_pid != os.getpid():
        _pool = ThreadPoolExecutor(max_workers=SENDERS, thread_name_prefix="hub-send")
        _pool_pid = os.getpid()
    return _pool


def _send(transport: Transport, status_callback: str,
          item: tuple[int, str, str, str, str | None, bool]
          ) -> tuple[str | None, Exception | None]:
    _row_id, channel, to, body, url, unsure = item
    try:
        if unsure:  # the last attempt may have reached Twilio: ask before sending again
            already = transport.find_sent(channel, to, body)
            if already is not None:
                return already, None
        return transport.send(channel, to, body, status_callback, url), None
    except Exception as exc:  # not only SendError: one row's crash is that row's failure
        return None, exc


def dispatch_due(sessions: sessionmaker[Session], transport: Transport, wording: PageTexts,
                 now: datetime, limit: int = 100, only_id: int | None = None,
                 sms_limit: SmsLimit = DEFAULT_SMS_LIMIT,
                 rounds_every: timedelta = DEFAULT_ROUNDS_EVERY, look_first: bool = True) -> int:
    """Send due outbound rows; return how many were attempted (``look_first``: look for
    one in a read before taking the write lock; not when pages were just queued).

    The claimed rows are sent side by side (Twilio's API takes a few hundred milliseconds a
    request: a burst of pages must not queue behind each other), then each outcome is
    recorded in its own transaction.
    """
    if only_id is None and look_first and not _any_due(sessions, now):
        return 0
    status_callback = wording.links.status_callback()
    work: list[tuple[int, str, str, str, str | None, bool]] = []
    refused: set[int] = set()
    ids: list[int] = []
    try:
        with sessions.begin() as session:
            rows = _claim(session, now, limit, only_id)
            ids = [row.id for row in rows]
            work, refused = _prepare(session, rows, now, wording, sms_limit, rounds_every)
    except quarantine.TRANSIENT:
        raise
    except Exception:
        if not ids:
            raise

        def prepare_alone(session: Session, row_id: int) -> int:
            alone, stopped = _prepare(session, _claim(session, now, 1, row_id), now, wording,
                                      sms_limit, rounds_every)
            session.flush()  # anything wrong is raised here, before the row joins the work
            work.extend(alone)
            refused.update(stopped)
            return len(alone) + len(stopped)

        work, refused = [], set()  # a row that raises alone is counted, the others go out
        quarantine.one_by_one(sessions, "outbound", ids, prepare_alone, now, wording.set_aside)
    if len(work) > 1:
        outcomes = list(_senders().map(functools.partial(_send, transport, status_callback),
                                       work))
    else:
        outcomes = [_send(transport, status_callback, item) for item in work]
    _record(sessions, [(item[0], *outcome) for item, outcome in zip(work, outcomes,
                                                                     strict=True)]
            + [(row_id, None, OPTED_OUT) for row_id in sorted(refused)], now, wording)
    return len(work) + len(refused)


def _prepare(session: Session, claimed: list[Outbound], now: datetime, wording: PageTexts,
             sms_limit: SmsLimit, rounds_every: timedelta
             ) -> tuple[list[tuple[int, str, str, str, str | None, bool]], set[int]]:
    """What goes out of the claimed rows (within the SMS limits, the last-resort rounds'
    calls one per person and round), and the opted-out ones."""
    shaped = page_limits.shape(session, claimed, now, wording.links, LEASE, sms_limit)
    shaped = round_calls.shape(session, shaped, now, wording.links, LEASE, rounds_every)
    shaped = page_calls.shape(session, shaped, now, LEASE)  # one call per person and pass
    refused = _opted_out(session, shaped)
    return [(r.id, r.channel, r.to_number, r.body, _page_call_url(r, wording),
             r.unsure_since is not None) for r in shaped if r.id not in refused], refused


def _page_call_url(row: Outbound, wording: PageTexts) -> str | None:
    """A paging call fetches its TwiML from the hub after answering machine detection."""
    if row.kind in outbox.PAGE_KINDS and row.channel == "call" and row.page_id is not None:
        return wording.links.page_call(row.page_id)
    if row.kind == page_calls.KIND:
        return wording.links.page_bundle_call(row.id)
    return None


def _opted_out(session: Session, claimed: list[Outbound]) -> set[int]:
    """The SMS rows whose number answered STOP: Twilio would refuse them (21610), so they
    fail here without a request, and a page becomes a call as for any refusing number."""
    sms = {row.id: phone_index(row.to_number) for row in claimed
           if row.channel == "sms" and row.to_number}
    stopped = opt_outs.opted_out(session, sms.values())
    return {row_id for row_id, index in sms.items() if index in stopped}


def _record(sessions: sessionmaker[Session],
            outcomes: list[tuple[int, str | None, Exception | None]], now: datetime,
            wording: PageTexts) -> None:
    """Record what Twilio answered: every sent row in one transaction (so none is ever sent
    twice), then each failure in its own, as a failure may escalate or call instead. A row
    whose recording raises is counted (:mod:`hub.quarantine`); the others are recorded."""
    sent = {row_id: sid or "" for row_id, sid, error in outcomes if error is None}
    if sent:
        try:
            with sessions.begin() as session:
                _mark_sent(session, sent, now)
        except quarantine.TRANSIENT:
            raise
        except Exception:
            quarantine.one_by_one(sessions, "outbound", sorted(sent),
                                  lambda session, one: _mark_sent(session, {one: sent[one]}, now),
                                  now, wording.set_aside)
    for row_id, _sid, error in outcomes:
        if error is None:
            continue
        try:
            with sessions.begin() as session:
                failed = session.get(Outbound, row_id, with_for_update=True)
                if failed is not None and isinstance(error, SendError):
                    log.warning("outbound %s not sent: %s", row_id, error)
                    _failed(session, failed, error, now, wording)
                elif failed is not None:  # the transport crashed: tried again after a while
                    failed.status, failed.last_error = "pending", type(error).__name__
                    failed.next_attempt_at = now + backoff(failed.attempts)
        except quarantine.TRANSIENT:
            raise
        except Exception as exc:
            error = exc
        if not isinstance(error, SendError):
            quarantine.failed(sessions, "outbound", row_id, error, now, wording.set_aside)


def _mark_sent(session: Session, sent: dict[int, str], now: datetime) -> int:
    """Mark the rows sent with one UPDATE executed for all of them (never loading the
    number or the body: two decryptions a row saved), and log each send."""
    rows = session.execute(
        select(Outbound.id, Outbound.contact_id, Outbound.kind, Outbound.channel,
               Outbound.staff_id)
        .where(id_in(session, Outbound.id, sent)).order_by(Outbound.id).with_for_update()).all()
    if not rows:
        return 0
    conn = session.connection()
    conn.execute(_SENT, [{"row_id": row.id, "sid": sent[row.id], "now": now} for row in rows])
    contact_log.append_all(conn, [contact_log.Entry(
        "outbound.sent", row.contact_id, at=now,
        detail={"outbound_id": row.id, "kind": row.kind, "channel": row.channel,
                "staff_id": row.staff_id, "sid": sent[row.id]}) for row in rows])
    return len(rows)


_SENT = (update(Outbound.__table__)
         .where(Outbound.__table__.c.id == bindparam("row_id"))
         .values(status="sent", provider_sid=bindparam("sid"), sent_at=bindparam("now"),
                 last_error=None, unsure_since=None))
