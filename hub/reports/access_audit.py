"""The access audit for managers: who viewed which patient's data, when and from where,
break-glass views marked, and the managers' sign-offs that they reviewed it.

Every view of patient data is a log entry whose event starts with ``access.``; its detail
(encrypted) names the patient and, for the web pages, the address the request came from
(``from``).
Only the entries of the page shown are decrypted.

Break-glass: an entry is marked when its event is one of :data:`BREAK_GLASS_EVENTS` or its
detail carries ``"break_glass": true`` (with the stated ``reason``); the pages that grant
break-glass access write either, and this report shows them without further change.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub import contact_log
from hub.models import AuditReview, LogEntry, Staff

ACCESS_PREFIX = "access."
BREAK_GLASS_EVENTS = frozenset({"access.break_glass"})
PAGE_SIZE = 100


@dataclass(frozen=True)
class Access:
    """One view of patient data."""

    seq: int
    at: datetime
    event: str
    actor: str | None
    contact_id: int | None
    detail: dict[str, Any]

    @property
    def patient_id(self) -> int | None:
        value = self.detail.get("patient_id")
        return int(value) if isinstance(value, int) else None

    @property
    def patients_listed(self) -> int:
        """How many patients a list view (the log, CCM minutes) showed."""
        listed = self.detail.get("patient_ids")
        return len(listed) if isinstance(listed, list) else 0

    @property
    def where(self) -> str | None:
        return self.detail.get("from")

    @property
    def break_glass(self) -> bool:
        return self.event in BREAK_GLASS_EVENTS or self.detail.get("break_glass") is True

    @property
    def reason(self) -> str | None:
        return self.detail.get("reason") if self.break_glass else None


def is_break_glass(event: str, detail: dict[str, Any]) -> bool:
    """Whether an access entry is a break-glass view (the hook other pages write to)."""
    return event in BREAK_GLASS_EVENTS or detail.get("break_glass") is True


def page(session: Session, before: int | None = None, size: int = PAGE_SIZE
         ) -> tuple[list[Access], int | None]:
    """Access entries newest first, older than ``before`` (a seq); and the next cursor."""
    query = select(LogEntry).where(LogEntry.event.startswith(ACCESS_PREFIX, autoescape=True))
    if before is not None:
        query = query.where(LogEntry.seq < before)
    rows = list(session.scalars(query.order_by(LogEntry.seq.desc()).limit(size + 1)))
    shown = [Access(e.seq, e.at, e.event, e.actor, e.contact_id, json.loads(e.detail or "{}"))
             for e in rows[:size]]
    return shown, (shown[-1].seq if len(rows) > size else None)


def last_review(session: Session) -> AuditReview | None:
    """The latest sign-off (by how far it reached)."""
    return session.scalar(select(AuditReview).order_by(
        AuditReview.reviewed_through.desc(), AuditReview.id.desc()).limit(1))


def unreviewed(session: Session, review: AuditReview | None) -> int:
    """Access entries after the last sign-off's reach."""
    query = select(func.count()).select_from(LogEntry).where(
        LogEntry.event.startswith(ACCESS_PREFIX, autoescape=True))
    if review is not None:
        query = query.where(LogEntry.at > review.reviewed_through)
    return int(session.scalar(query) or 0)


class BadSignOff(ValueError):
    """A sign-off that cannot be recorded; the message says why."""


def sign_off(session: Session, manager: Staff, through: datetime, now: datetime,
             note: str | None) -> AuditReview:
    """Record that ``manager`` reviewed the access audit up to ``through``; logged too."""
    if through > now:
        raise BadSignOff("reviewed through: not in the future")
    if note is not None and len(note) > 500:
        raise BadSignOff("note: at most 500 characters")
    review = AuditReview(reviewed_through=through, reviewed_by_id=manager.id, signed_at=now,
                         note=note or None)
    session.add(review)
    session.flush()
    contact_log.append(session, "audit.reviewed", actor=f"staff:{manager.id}", at=now,
                       detail={"review_id": review.id, "through": through.isoformat()})
    return review
