"""The last-resort rounds' calls, one per person and round, however many contacts wait.

Every contact nobody acknowledged gets its own last-resort round (the managers paged by SMS
and call, the fallback number called) every ``last_resort_minutes``. On a night when
thousands are open that would ring a manager, and the answering service, once per contact
per round. So the rounds' calls (``round`` rows to a manager, ``fallback`` rows to the
fallback number) are shaped here like SMS pages are in :mod:`messages.page_limits`: at most
one call to a line per round interval; the rest wait, and when the interval has passed one
call names every contact still waiting for that line (a manager presses 1 to acknowledge
them all). The rounds' SMS are ordinary pages under the SMS limit.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from hub import contact_log, outbox
from hub.models import Contact, Outbound, Staff
from messages import twiml
from messages.links import Links
from messages.page_limits import PAGE_FIELDS, cancel_taken, hold, one_per_contact, ride_along

ROUND_KINDS = ("round", "fallback")


def _line(staff_id: int | None) -> ColumnElement[bool]:
    """The round calls of one line: a manager's, or (None) the fallback number's."""
    if staff_id is None:
        return and_(Outbound.staff_id.is_(None), Outbound.kind.in_(("fallback", "bundle")),
                    Outbound.channel == "call")
    return and_(Outbound.staff_id == staff_id, Outbound.kind.in_(("round", "bundle")),
                Outbound.channel == "call")


def _waiting(session: Session, staff_id: int | None, claimed_ids: list[int],
             contacts: dict[int, Contact]) -> list[Outbound]:
    """The line's other round calls waiting (held or not yet claimed), locked; their
    contacts added to ``contacts``."""
    rows = list(session.scalars(
        select(Outbound).where(_line(staff_id), Outbound.kind != "bundle",
                               Outbound.status == "pending", Outbound.id.not_in(claimed_ids))
        .order_by(Outbound.id).with_for_update(skip_locked=True)))
    missing = {row.contact_id for row in rows if row.contact_id is not None} - set(contacts)
    if missing:
        contacts.update((c.id, c) for c in session.scalars(
            select(Contact).where(Contact.id.in_(missing)).options(PAGE_FIELDS)))
    return rows


def _bundle(session: Session, staff_id: int | None, rows: list[Outbound],
            contacts: dict[int, Contact], now: datetime, links: Links,
            lease: timedelta) -> Outbound:
    listed = [contacts[row.contact_id] for row in rows if row.contact_id in contacts]
    refs = [c.ref for c in sorted(listed, key=lambda c: c.urgency != "urgent")]
    urgent = sum(c.urgency == "urgent" for c in listed)
    bundle = outbox.queue(session, kind="bundle", channel="call", to=rows[0].to_number,
                          now=now, staff_id=staff_id, body="")
    bundle.body = (twiml.fallback_round_call(refs, urgent) if staff_id is None
                   else twiml.round_call(refs, urgent, links.round_ack(bundle.id)))
    bundle.status, bundle.claimed_until, bundle.attempts = "sending", now + lease, 1
    for row in rows:
        row.status, row.bundle_id = "bundled", bundle.id
        contact_log.append(session, "outbound.bundled", contact_id=row.contact_id, at=now,
                           detail={"outbound_id": row.id, "bundle_id": bundle.id,
                                   "staff_id": staff_id, "pages_in_bundle": len(rows)})
    return bundle


def _one_line(session: Session, staff_id: int | None, live: list[Outbound],
              contacts: dict[int, Contact], claimed_ids: list[int], now: datetime,
              links: Links, lease: timedelta, every: timedelta) -> list[Outbound]:
    """What one line gets now: nothing when it had a round call within ``every`` (held
    until then), else one call: the only contact's, or one naming every contact waiting."""
    recent = list(session.scalars(select(Outbound.sent_at).where(
        _line(staff_id), Outbound.id.not_in(claimed_ids),
        or_(Outbound.sent_at >= now - every, Outbound.status == "sending"))))
    if recent:
        sent = sorted(at for at in recent if at is not None)
        hold(session, live, max(sent[0] + every if sent else now + every,
                                now + timedelta(seconds=1)), now,
             f"1 last-resort call per {int(every.total_seconds() // 60)} minutes")
        return []
    waiting = cancel_taken(session, _waiting(session, staff_id, claimed_ids, contacts),
                           contacts, now)
    firsts, again = one_per_contact([*live, *waiting])
    call = (_bundle(session, staff_id, firsts, contacts, now, links, lease)
            if len(firsts) > 1 else firsts[0])
    ride_along(session, again, firsts, now)
    return [call]


def shape(session: Session, claimed: list[Outbound], now: datetime, links: Links,
          lease: timedelta, every: timedelta) -> list[Outbound]:
    """Of the rows about to go out, return what goes out now: at most one last-resort call
    per line and round interval, naming every contact waiting for that line; the rest are
    held, and those whose contact was taken meanwhile cancelled. A manager's staff row is
    locked while deciding, so processes dispatching side by side never ring her twice."""
    rounds = [row for row in claimed if row.kind in ROUND_KINDS and row.channel == "call"]
    if not rounds:
        return claimed
    round_ids = {row.id for row in rounds}
    send = [row for row in claimed if row.id not in round_ids]
    contacts = {c.id: c for c in session.scalars(
        select(Contact).where(Contact.id.in_({row.contact_id for row in rounds
                                              if row.contact_id is not None}))
        .options(PAGE_FIELDS))}
    by_line: dict[int | None, list[Outbound]] = defaultdict(list)
    for row in rounds:
        by_line[row.staff_id].append(row)
    claimed_ids = [row.id for row in claimed]
    for staff_id, rows in sorted(by_line.items(), key=lambda item: item[0] or 0):
        if staff_id is not None:
            session.execute(select(Staff.id).where(Staff.id == staff_id)
                            .with_for_update(key_share=True))
        live = cancel_taken(session, rows, contacts, now)
        if live:
            send.extend(_one_line(session, staff_id, live, contacts, claimed_ids, now,
                                  links, lease, every))
    return send
