"""Pages to one person are rate-limited and bundled, so a storm of texts cannot bury a nurse.

As GoAlert does per contact method: at most a number of SMS to one person in any window
(the policy's ``[limits]``; 5 in 15 minutes by default). Pages beyond that wait until the
window has room, and when more pages wait for a person than the window has room for, the
last SMS it allows carries all the rest, naming each contact's reference and ACK code once
(pages of two escalation steps about one contact go out as one).
Nothing is dropped: every page row ends sent, ``bundled`` (pointing at the SMS that carried
it) or ``cancelled`` (its contact was acknowledged before it went out), and escalation runs
on its own timers regardless, so a held page never holds back the next step.

The managers' alerts (a number that refuses pages, a row set aside, a coverage gap) are SMS
to the same phones: they count in the same window and wait for room like pages, and a bundle
carries the alerts waiting beside the pages.

Calls are not limited: an urgent paging call must ring (the last-resort rounds' calls to the
managers are bundled per round: :mod:`messages.round_calls`).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, load_only

from hub import contact_log, outbox
from hub.contact_log import Entry
from hub.contacts import WAITING
from hub.models import Contact, Outbound, Staff
from messages import texts
from messages.links import Links
from routing.policy import SmsLimit

COUNTED_KINDS = ("page", "bundle", "alert")  # every SMS the hub sends to a staff phone
LIMITED_KINDS = ("page", "alert")  # what waits for room: pages, and the managers' alerts
# What a page shows of its contact (never the message).
PAGE_FIELDS = load_only(Contact.id, Contact.status, Contact.ref, Contact.ack_code,
                         Contact.urgency)


def _sms_in_window(session: Session, staff_id: int, now: datetime, window: timedelta,
                   exclude: list[int]) -> list[datetime | None]:
    """When this person's SMS of the window went out (None: being sent right now)."""
    return list(session.scalars(
        select(Outbound.sent_at).where(
            Outbound.staff_id == staff_id, Outbound.channel == "sms",
            Outbound.kind.in_(COUNTED_KINDS), Outbound.id.not_in(exclude),
            or_(Outbound.sent_at >= now - window, Outbound.status == "sending"))))


def hold(session: Session, rows: list[Outbound], until: datetime, now: datetime,
         limit: str) -> None:
    """Put ``rows`` back to wait until ``until`` (held by ``limit``, as the log says it)."""
    for row in rows:
        row.status, row.next_attempt_at, row.claimed_until = "pending", until, None
        row.attempts -= 1  # held by the limit, not a failed try
    _log(session, [Entry("outbound.held", row.contact_id, detail={
        "outbound_id": row.id, "staff_id": row.staff_id, "until": until, "limit": limit},
        at=now) for row in rows])


def _log(session: Session, entries: list[Entry]) -> None:
    """One insert for a pass's entries about many pages (a storm holds thousands)."""
    if entries:
        session.flush()
        contact_log.append_all(session.connection(), entries)


def _bundle(session: Session, rows: list[Outbound], contacts: dict[int, Contact],
            now: datetime, links: Links, lease: timedelta) -> Outbound:
    listed = [contacts[row.contact_id] for row in rows
              if row.kind == "page" and row.contact_id in contacts]
    bundle = outbox.queue(
        session, kind="bundle", channel="sms", to=rows[0].to_number, now=now,
        staff_id=rows[0].staff_id,
        body=texts.page_bundle_sms([(c.ref, c.ack_code or "", c.urgency == "urgent")
                                    for c in listed], links.inbox(),
                                   alerts=[row.body for row in rows if row.kind == "alert"]))
    bundle.status, bundle.claimed_until, bundle.attempts = "sending", now + lease, 1
    for row in rows:
        row.status, row.bundle_id = "bundled", bundle.id
    _log(session, [Entry("outbound.bundled", row.contact_id, detail={
        "outbound_id": row.id, "bundle_id": bundle.id, "staff_id": row.staff_id,
        "pages_in_bundle": len(rows)}, at=now) for row in rows])
    return bundle


def cancel_taken(session: Session, rows: list[Outbound], contacts: dict[int, Contact],
                  now: datetime) -> list[Outbound]:
    """Cancel the pages whose contact someone took meanwhile; return the others."""
    live, entries = [], []
    for row in rows:
        contact = contacts.get(row.contact_id or 0)
        if contact is not None and contact.status not in WAITING:
            row.status = "cancelled"
            entries.append(Entry("outbound.cancelled", row.contact_id, detail={
                "outbound_id": row.id, "contact_status": contact.status}, at=now))
        else:
            live.append(row)
    _log(session, entries)
    return live


def one_per_contact(rows: list[Outbound]) -> tuple[list[Outbound], list[Outbound]]:
    """The oldest row of each contact, and the rest: one person's pages about the same
    contact (two escalation steps while the first page was held) go out as one."""
    firsts: list[Outbound] = []
    again: list[Outbound] = []
    seen: set[int] = set()
    for row in rows:
        if row.contact_id is not None and row.contact_id in seen:
            again.append(row)
        else:
            firsts.append(row)
            if row.contact_id is not None:
                seen.add(row.contact_id)
    return firsts, again


def ride_along(session: Session, again: list[Outbound], carriers: list[Outbound],
                now: datetime) -> None:
    """Each repeated page is carried by the SMS that names its contact (the contact's own
    page, or the bundle that took it): marked bundled onto that SMS, never sent again."""
    by_contact = {row.contact_id: row for row in carriers}
    entries = []
    for row in again:
        carrier = by_contact[row.contact_id]
        row.status, row.bundle_id = "bundled", carrier.bundle_id or carrier.id
        entries.append(Entry("outbound.bundled", row.contact_id, detail={
            "outbound_id": row.id, "bundle_id": row.bundle_id, "staff_id": row.staff_id,
            "same_contact_as": carrier.id}, at=now))
    _log(session, entries)


def _within_limit(session: Session, staff_id: int, live: list[Outbound],
                  contacts: dict[int, Contact], claimed_ids: list[int], now: datetime,
                  links: Links, lease: timedelta, limit: SmsLimit) -> list[Outbound]:
    """Of one person's live pages, what goes out now: one SMS per contact while the window
    has room, the last SMS it allows carrying the rest as a bundle (each contact once),
    nothing (held) when it is full."""
    recent = _sms_in_window(session, staff_id, now, limit.window, claimed_ids)
    room = limit.count - len(recent)
    if room <= 0:
        sent = sorted(at for at in recent if at is not None)
        # The window has room again when the oldest of its SMS leaves it.
        hold(session, live, max(sent[0] + limit.window if sent else now + limit.window,
                                now + timedelta(seconds=1)), now,
             f"{limit.count} SMS per {int(limit.window.total_seconds() // 60)} minutes")
        return []
    firsts, again = one_per_contact(live)
    if len(firsts) > room:
        # A bundle goes out: it carries every page still waiting for this person, not only
        # those this pass claimed (a storm's backlog reaches her now, not 15 minutes a batch).
        waiting = cancel_taken(session, also_waiting(session, staff_id, claimed_ids, contacts,
                                                     "sms", LIMITED_KINDS), contacts, now)
        firsts, again = one_per_contact([*live, *waiting])
    if len(firsts) <= room:
        send = firsts
    else:
        send = [*firsts[:room - 1],
                _bundle(session, firsts[room - 1:], contacts, now, links, lease)]
    ride_along(session, again, firsts, now)
    return send


def also_waiting(session: Session, staff_id: int, claimed_ids: list[int],
                 contacts: dict[int, Contact], channel: str, kinds: tuple[str, ...]
                 ) -> list[Outbound]:
    """This person's other rows of ``kinds`` on ``channel`` waiting to go out (held, or not
    yet claimed), locked; their contacts added to ``contacts``."""
    rows = list(session.scalars(
        select(Outbound).where(Outbound.staff_id == staff_id, Outbound.kind.in_(kinds),
                               Outbound.channel == channel, Outbound.status == "pending",
                               Outbound.id.not_in(claimed_ids))
        .order_by(Outbound.id).with_for_update(skip_locked=True)))
    missing = {row.contact_id for row in rows if row.contact_id is not None} - set(contacts)
    if missing:
        contacts.update((c.id, c) for c in session.scalars(
            select(Contact).where(Contact.id.in_(missing)).options(PAGE_FIELDS)))
    return rows


def shape(session: Session, claimed: list[Outbound], now: datetime, links: Links,
          lease: timedelta, limit: SmsLimit) -> list[Outbound]:
    """Of the rows just claimed, return what goes out now: SMS pages within each person's
    limit, the last SMS the limit allows carrying every page left as one bundle; hold pages
    beyond the limit, cancel those whose contact was taken meanwhile.

    Each person's staff row is locked while deciding, so processes dispatching side by side
    count each other's SMS and never exceed the limit together.
    """
    pages = [row for row in claimed
             if row.kind in LIMITED_KINDS and row.channel == "sms" and row.staff_id is not None]
    if not pages:
        return claimed
    send = [row for row in claimed if row not in pages]
    contacts = {c.id: c for c in session.scalars(
        select(Contact).where(Contact.id.in_({row.contact_id for row in pages
                                              if row.contact_id is not None}))
        .options(PAGE_FIELDS))}
    by_person: dict[int, list[Outbound]] = defaultdict(list)
    for row in pages:
        by_person[row.staff_id or 0].append(row)
    claimed_ids = [row.id for row in claimed]
    for staff_id, rows in sorted(by_person.items()):
        session.execute(select(Staff.id).where(Staff.id == staff_id)
                        .with_for_update(key_share=True))
        live = cancel_taken(session, rows, contacts, now)
        if live:
            send.extend(_within_limit(session, staff_id, live, contacts, claimed_ids, now,
                                      links, lease, limit))
    return send
