"""One contact's whole story for the manager: received, triaged, each page and how its
messages fared, acknowledgement, callback, resolution, and who looked at it.

Read from the contact's own log entries (decrypted: one contact's worth) and its pages
with their outbound rows; staff named through their (remembered) decrypted names.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.models import LogEntry, Outbound, Page, Staff

# What each event means to a manager; an event not listed is shown by its name.
WORDS = {
    "contact.received": "Received",
    "contact.triaged": "Triaged",
    "contact.queued": "Held for opening hours",
    "contact.patient_chosen": "Caller chose the patient",
    "contact.transcribed": "Voicemail transcribed",
    "escalation.paged": "Paged",
    "escalation.hastened": "Next step brought forward",
    "escalation.step_skipped": "Step skipped (nobody to page)",
    "escalation.exhausted": "Escalation ran out: nobody acknowledged",
    "outbound.sent": "Page sent",
    "outbound.delivered": "Page delivered",
    "outbound.undelivered": "Page not delivered",
    "outbound.failed": "Page failed",
    "outbound.bundled": "Page sent within a bundle",
    "outbound.cancelled": "Page not sent (already acknowledged)",
    "page.machine": "Paging call reached a machine",
    "call.accepted": "Call accepted",
    "contact.acknowledged": "Acknowledged",
    "callback.started": "Callback started",
    "callback.ended": "Callback ended",
    "callback.overdue": "Callback overdue",
    "care_time.added": "Care time recorded",
    "contact.resolved": "Resolved",
    "consent.missing": "No CCM consent on file",
}


@dataclass(frozen=True)
class Step:
    """One line of the timeline."""

    at: datetime
    event: str
    words: str
    who: str | None
    detail: dict[str, Any]

    @property
    def is_access(self) -> bool:
        return self.event.startswith("access.")


@dataclass(frozen=True)
class PageLine:
    """A page to one person and each message or call that carried it."""

    at: datetime
    step: int
    staff: str
    deliveries: list[tuple[str, str, datetime | None]] = field(default_factory=list)


def staff_names(session: Session, ids: set[int]) -> dict[int, str]:
    """Staff names by id (decrypted; remembered by the cipher across requests)."""
    if not ids:
        return {}
    return {sid: name for sid, name in session.execute(
        select(Staff.id, Staff.name).where(Staff.id.in_(ids)))}


def actor_id(actor: str | None) -> int | None:
    """The staff id of an actor string such as ``staff:3``, else None."""
    if actor and actor.startswith("staff:") and actor[6:].isdigit():
        return int(actor[6:])
    return None


def build(session: Session, contact_id: int) -> tuple[list[Step], list[PageLine]]:
    """The contact's log entries in order, and its pages with their deliveries."""
    entries = list(session.scalars(select(LogEntry).where(
        LogEntry.contact_id == contact_id).order_by(LogEntry.seq)))
    pages = list(session.scalars(select(Page).where(Page.contact_id == contact_id)
                                 .order_by(Page.created_at, Page.id)))
    outbound = list(session.execute(
        select(Outbound.page_id, Outbound.channel, Outbound.status, Outbound.sent_at)
        .where(Outbound.contact_id == contact_id, Outbound.page_id.is_not(None))
        .order_by(Outbound.id)))
    ids = {i for i in (actor_id(e.actor) for e in entries) if i is not None}
    names = staff_names(session, ids | {p.staff_id for p in pages})
    steps = []
    for entry in entries:
        who_id = actor_id(entry.actor)
        who = names.get(who_id, f"staff {who_id}") if who_id is not None else entry.actor
        steps.append(Step(entry.at, entry.event, WORDS.get(entry.event, entry.event), who,
                          json.loads(entry.detail or "{}")))
    lines = []
    for page in pages:
        line = PageLine(page.created_at, page.step, names.get(page.staff_id, "?"))
        line.deliveries.extend((channel, status, sent) for pid, channel, status, sent
                               in outbound if pid == page.id)
        lines.append(line)
    return steps, lines
