"""The rows of the escalation steps fired in one transaction, written together.

A :class:`StepWriter` gathers the pages, outbound rows, next timers and log entries of every
step fired in a transaction and writes them with a handful of statements, so a storm of due
steps costs a few statements per batch, not per step. What a page says is not routing's
business: the edge words it through a :class:`PageWording` handed in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from sqlalchemy import insert, inspect, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from hub import contact_log, crypto, outbox
from hub.db import id_in, insert_rows
from hub.models import Contact, Outbound, Page, Staff, Timer
from routing.oncall import PATIENT_TARGETS, picks_for
from routing.schedule_store import Roster, roster_at


class PageWording(Protocol):
    """How a page to staff reads on a channel (SMS text, paging-call TwiML): the edge's
    :class:`messages.page_texts.PageTexts`; never clinical content."""

    def page(self, contact: Contact, page_id: int, channel: str) -> str: ...

    def fallback_call(self, contact: Contact) -> str:
        """The TwiML of the last-resort call to the fallback number about ``contact``."""
        ...

    def set_aside(self, what: str, ref: str | None, error: str) -> str:
        """The managers' SMS about a row the engine set aside (quarantined)."""
        ...


@dataclass
class _PlannedPage:
    contact: Contact
    person: Staff
    step: int
    channels: tuple[str, ...]
    last_resort: bool = False


@dataclass
class StepWriter:
    """The rows of the steps fired in one transaction, written together by :meth:`write`.

    Who a target names is looked up once per transaction (per patient where it depends on
    the patient): every step fired in it is decided at the same instant.
    """

    session: Session
    now: datetime
    wording: PageWording
    _pages: list[_PlannedPage] = field(default_factory=list)
    _timers: list[dict[str, object]] = field(default_factory=list)
    _log: list[contact_log.Entry] = field(default_factory=list)
    _calls: list[dict[str, object]] = field(default_factory=list)  # to the fallback number
    _staff_for: dict[tuple[str, int | None], list[Staff]] = field(default_factory=dict)
    _roster: Roster | None = None
    _advanced: dict[int, int] = field(default_factory=dict)  # contact id -> step paged

    def targets(self, contact: Contact, targets: tuple[str, ...]) -> list[Staff]:
        if self._roster is None:  # who is on call at this instant: read once
            self._roster = roster_at(self.session, self.now, exact_bounds=False)
        return named_people(self.session, contact, targets, self._roster, self._staff_for)

    def log(self, event: str, contact_id: int, detail: dict[str, object],
            at: datetime | None = None, actor: str = "system", alike: bool = False) -> None:
        self._log.append(contact_log.Entry(event, contact_id, actor, detail, at or self.now,
                                           alike))

    def page(self, contact: Contact, person: Staff, step: int, channels: tuple[str, ...],
             last_resort: bool = False) -> None:
        """Page ``person``; a ``last_resort`` round's call is a ``round`` row, which the edge
        bundles with the person's other round calls (one call per round, not per contact)."""
        self._pages.append(_PlannedPage(contact, person, step, channels, last_resort))

    def advance(self, contact: Contact, step: int) -> None:
        """The contact is being paged at ``step``: one UPDATE per step for all the contacts
        advanced in the transaction (at :meth:`write`), not one per contact at the flush."""
        if not inspect(contact).persistent:  # not in the database yet: its INSERT says it
            contact.escalation_step, contact.status = step, "paging"
            return
        # What write() stores, without marking the object changed (that is the UPDATE per row).
        set_committed_value(contact, "escalation_step", step)
        set_committed_value(contact, "status", "paging")
        self._advanced[contact.id] = step

    def fallback_call(self, contact: Contact, number: str) -> None:
        """Call the fallback number (an answering service) about ``contact``."""
        self._calls.append(outbox.row(kind="fallback", channel="call", to=number,
                                      body=self.wording.fallback_call(contact), now=self.now,
                                      contact_id=contact.id))

    def timer(self, contact_id: int, step: int, due: datetime) -> None:
        self._timers.append({"contact_id": contact_id, "kind": "escalate", "step": step,
                             "due_at": due, "version": 0})

    def write(self) -> None:
        """Update the advanced contacts, insert the pages (ids returned in order), their
        outbound rows and the timers, and append the log entries; the contacts' other changes
        flush with the session."""
        session = self.session
        by_step: dict[int, list[int]] = {}
        for contact_id, step in self._advanced.items():
            by_step.setdefault(step, []).append(contact_id)
        for step, contact_ids in by_step.items():
            session.execute(update(Contact).where(id_in(session, Contact.id, contact_ids))
                            .values(escalation_step=step, status="paging")
                            .execution_options(synchronize_session=False))
        session.flush()  # the contacts' new status before the log mentions them
        conn = session.connection()
        if self._pages:
            page_ids = conn.scalars(
                insert(Page).returning(Page.id, sort_by_parameter_order=True),
                [{"contact_id": p.contact.id, "staff_id": p.person.id, "step": p.step,
                  "created_at": self.now} for p in self._pages]).all()
            phones = {person.id: crypto.active().seal(person.phone or "")
                      for person in {p.person for p in self._pages}}
            insert_rows(conn, Outbound, [
                page_row(planned.contact, page_id, planned.person, channel, self.now,
                         self.wording, phones[planned.person.id],
                         "round" if planned.last_resort and channel == "call" else "page")
                for planned, page_id in zip(self._pages, page_ids, strict=True)
                for channel in planned.channels])
        insert_rows(conn, Outbound, self._calls)
        insert_rows(conn, Timer, self._timers)
        contact_log.append_all(conn, self._log)
        self._pages, self._timers, self._log, self._advanced = [], [], [], {}
        self._calls = []


def named_people(session: Session, contact: Contact, targets: tuple[str, ...], roster: Roster,
                 cache: dict[tuple[str, int | None], list[Staff]] | None = None) -> list[Staff]:
    """Who a step's targets name for ``contact`` at ``roster.at`` (continuity first), each
    once, in order; ``cache`` keeps each target's people across contacts of a transaction."""
    cache = {} if cache is None else cache
    people: dict[int, Staff] = {}
    for target in targets:
        key = (target, contact.patient_id if target in PATIENT_TARGETS else None)
        if key not in cache:
            cache[key] = [pick.staff for pick in picks_for(session, target, contact, roster)]
        for staff in cache[key]:
            people.setdefault(staff.id, staff)
    return list(people.values())


def page_row(contact: Contact, page_id: int, person: Staff, channel: str, now: datetime,
             wording: PageWording, phone: str | None = None,
             kind: str = "page") -> dict[str, object]:
    """One page to one person on one channel, as an outbound row worded by the edge
    (``phone``: the person's phone, sealed once for all their rows)."""
    return outbox.row(kind=kind, channel=channel, to=phone or person.phone or "",
                      body=wording.page(contact, page_id, channel), now=now,
                      contact_id=contact.id, page_id=page_id, staff_id=person.id)
