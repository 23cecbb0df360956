"""Paging calls due together to one person ring once, naming every contact they carry.

A burst of urgent texts pages the nurse on call with an SMS and a call per contact; placed
one by one, thirty contacts in a second would ring her phone thirty times over (each call
failing busy while she answers the first), and cost the engine a request to Twilio each.
As GoAlert bundles a contact method's pending alerts, the paging calls to one person that
are due in the same pass of the dispatcher go out as one call (a ``call_bundle`` row): it
rings at once, says how many contacts wait and their references (never patient data), and
one key acknowledges them all, as the last-resort rounds' calls do (:mod:`round_calls`).

Nothing else changes for the contacts it carries: each keeps its own SMS page, its ACK code
and its escalation timer; a call about a single contact is the ordinary paging call. Like a
paging call, the bundle uses answering machine detection: a machine hears nothing and every
contact still waiting is brought to its next step at once; an unanswered call leaves them
to their timers. A call already tried once and perhaps placed (``unsure``) goes alone.

And as GoAlert throttles voice per contact method, a person is rung at most once a minute
(``CALL_GAP``): paging calls due while her phone rang less than a minute ago wait for the
minute to end and then ring once, together (held like SMS beyond their limit, and logged so).
A storm of urgent texts rings her once a minute, not once per dispatcher pass, and that call
carries every paging call waiting for her, not only those one pass claimed (as the SMS limit's
bundle does); each contact's SMS page and escalation timer go on meanwhile.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from hub import contact_log, outbox
from hub.contacts import WAITING
from hub.db import id_in
from hub.models import Contact, Outbound, Staff
from messages.page_limits import PAGE_FIELDS, also_waiting, cancel_taken, hold, one_per_contact

KIND = "call_bundle"
CALL_GAP = timedelta(seconds=60)  # a person's phone rings for pages at most once in this
RUNG_KINDS = ("page", KIND)  # the calls that count: paging calls and their bundles


def _bundleable(row: Outbound) -> bool:
    return (row.kind == "page" and row.channel == "call" and row.staff_id is not None
            and row.contact_id is not None and row.unsure_since is None)


def shape(session: Session, claimed: list[Outbound], now: datetime,
          lease: timedelta) -> list[Outbound]:
    """Of the rows about to go out, return what goes out now: one call per person for all
    the paging calls claimed for them (a bundle when they name more than one contact), none
    for a person rung less than ``CALL_GAP`` ago (held until then); calls about contacts
    someone took meanwhile are cancelled."""
    by_person: dict[int, list[Outbound]] = defaultdict(list)
    for row in claimed:
        if _bundleable(row):
            by_person[row.staff_id or 0].append(row)
    if not by_person:
        return claimed
    held = _hold_rung_lately(session, by_person, [row.id for row in claimed], now)
    ringing = {row.id for rows in by_person.values() for row in rows}
    send = [row for row in claimed if row.id not in held and row.id not in ringing]
    if not by_person:
        return send
    contacts = {c.id: c for c in session.scalars(
        select(Contact).where(id_in(session, Contact.id, {
            row.contact_id for rows in by_person.values() for row in rows}))
        .options(PAGE_FIELDS))}
    claimed_ids = [row.id for row in claimed]
    for staff_id, rows in by_person.items():  # her call carries every call waiting for her
        rows.extend(row for row in also_waiting(session, staff_id, claimed_ids, contacts,
                                                "call", ("page",)) if _bundleable(row))
    entries: list[contact_log.Entry] = []
    for staff_id, rows in sorted(by_person.items()):
        firsts, again = one_per_contact(cancel_taken(session, rows, contacts, now))
        if len(firsts) == 1:
            send.append(firsts[0])
        elif firsts:
            send.append(_bundle(session, staff_id, firsts, now, lease, entries))
        carriers = {row.contact_id: row for row in firsts}
        for row in again:  # a second call about the same contact rides with the first
            carrier = carriers[row.contact_id]
            row.status, row.bundle_id = "bundled", carrier.bundle_id or carrier.id
            entries.append(contact_log.Entry(
                "outbound.bundled", row.contact_id, at=now,
                detail={"outbound_id": row.id, "bundle_id": row.bundle_id,
                        "staff_id": staff_id, "same_contact_as": carrier.id}))
    session.flush()
    contact_log.append_all(session.connection(), entries)
    return send


def _hold_rung_lately(session: Session, by_person: dict[int, list[Outbound]],
                      claimed_ids: list[int], now: datetime) -> set[int]:
    """Hold the calls of each person rung less than ``CALL_GAP`` ago until the gap ends
    (taken out of ``by_person``); return their ids. The person's staff row is locked while
    deciding, so dispatchers side by side never ring her twice within the gap."""
    held: set[int] = set()
    for staff_id in sorted(by_person):
        session.execute(select(Staff.id).where(Staff.id == staff_id)
                        .with_for_update(key_share=True))
        rung = session.execute(select(Outbound.sent_at).where(
            Outbound.staff_id == staff_id, Outbound.channel == "call",
            Outbound.kind.in_(RUNG_KINDS), Outbound.id.not_in(claimed_ids),
            or_(Outbound.sent_at > now - CALL_GAP, Outbound.status == "sending"))).scalars()
        last = max((at or now for at in rung), default=None)  # None sent_at: ringing now
        if last is None:
            continue
        rows = by_person.pop(staff_id)
        hold(session, rows, max(last + CALL_GAP, now + timedelta(seconds=1)), now,
             f"one call per {int(CALL_GAP.total_seconds())} seconds")
        held.update(row.id for row in rows)
    return held


def _bundle(session: Session, staff_id: int, rows: list[Outbound], now: datetime,
            lease: timedelta, entries: list[contact_log.Entry]) -> Outbound:
    """One call for ``rows`` (its TwiML is asked for once answered: :func:`answer`)."""
    bundle = outbox.queue(session, kind=KIND, channel="call", to=rows[0].to_number, now=now,
                          staff_id=staff_id, body="")
    bundle.status, bundle.claimed_until, bundle.attempts = "sending", now + lease, 1
    for row in rows:
        row.status, row.bundle_id = "bundled", bundle.id
        entries.append(contact_log.Entry(
            "outbound.bundled", row.contact_id, at=now,
            detail={"outbound_id": row.id, "bundle_id": bundle.id, "staff_id": staff_id,
                    "calls_in_bundle": len(rows)}))
    return bundle


def waiting(session: Session, bundle: Outbound) -> list[Contact]:
    """The contacts a bundled call carries that nobody has taken yet, urgent first."""
    ids = [row.contact_id for row in outbox.carried(session, bundle)
           if row.contact_id is not None]
    if not ids:
        return []
    found = session.scalars(select(Contact).where(id_in(session, Contact.id, ids))
                            .options(PAGE_FIELDS).order_by(Contact.id))
    return sorted((c for c in found if c.status in WAITING), key=lambda c: c.urgency != "urgent")
