"""Photos Twilio holds for an inbound MMS: kept (URL encrypted) with the contact on arrival,
claimed by the engine to fetch into the attachment store and delete from Twilio.

The webhook only writes the rows (:func:`keep`, in the contact's own transaction, and only
when this delivery made the contact: a retried MessageSid adds nothing). Any process may
then claim a due row (compare-and-set with a lease, SKIP LOCKED on PostgreSQL, as the
outbound queue does); what Twilio answers is recorded by :func:`fetched`, :func:`deleted`
or :func:`retry_later`. Nothing here speaks HTTP: that is the edge's
(:mod:`messages.media_fetch`).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Connection, and_, insert, or_, select, update
from sqlalchemy.orm import Session

from hub import attachments, contact_log
from hub.db import id_in
from hub.models import MediaFetch

LEASE = timedelta(minutes=2)
WAITING = ("pending", "deleting")


@dataclass(frozen=True)
class MediaRef:
    """One ``MediaUrlN`` as the edge accepted it (on the Twilio API host, this message's)."""

    position: int
    url: str
    declared_type: str | None
    refused_why: str | None = None  # for one refused at the door: why (else not our host)


REFUSED_URL = "not a media URL of this account on the Twilio API host: never requested"


def keep(conn: Connection, contact_id: int, media: Sequence[MediaRef], now: datetime,
         refused: Sequence[MediaRef] = ()) -> None:
    """Add the media of a new contact, due now, and those refused at the door (done, never
    fetched: the staff page says why), in the caller's transaction."""
    rows = [{"contact_id": contact_id, "position": m.position, "url": m.url,
             "declared_type": m.declared_type, "status": "pending", "outcome": None,
             "last_error": None, "attempts": 0, "next_attempt_at": now, "created_at": now,
             "version": 0} for m in media]
    rows += [{"contact_id": contact_id, "position": m.position, "url": m.url,
              "declared_type": m.declared_type, "status": "done", "outcome": "refused",
              "last_error": m.refused_why or REFUSED_URL, "attempts": 0, "next_attempt_at": now,
              "created_at": now, "version": 0} for m in refused]
    if rows:
        conn.execute(insert(MediaFetch), rows)


def backoff(attempt: int) -> timedelta:
    """About 4, 8, 16 s... then every 5 to 10 minutes: Twilio keeps the media until deleted,
    so a long outage loses nothing; the nurse sees the photo soon after it ends."""
    return timedelta(seconds=min(2.0 ** (attempt + 1), 600.0) * random.uniform(0.5, 1.0))


def _due(now: datetime) -> ColumnElement[bool]:
    return and_(MediaFetch.status.in_(WAITING), MediaFetch.next_attempt_at <= now,
                or_(MediaFetch.claimed_until.is_(None), MediaFetch.claimed_until < now))


def claim(session: Session, now: datetime, limit: int = 20) -> list[MediaFetch]:
    """Take up to ``limit`` due rows for this process (a lease; others' rows skipped)."""
    ids = list(session.scalars(select(MediaFetch.id).where(_due(now))
                               .order_by(MediaFetch.next_attempt_at, MediaFetch.id)
                               .limit(limit).with_for_update(skip_locked=True)))
    if not ids:
        return []
    claimed = list(session.scalars(
        update(MediaFetch).where(id_in(session, MediaFetch.id, ids), _due(now))
        .values(claimed_until=now + LEASE, attempts=MediaFetch.attempts + 1,
                version=MediaFetch.version + 1)
        .returning(MediaFetch.id).execution_options(synchronize_session=False)))
    return list(session.scalars(
        select(MediaFetch).where(id_in(session, MediaFetch.id, claimed)).order_by(MediaFetch.id)
        .execution_options(populate_existing=True))) if claimed else []


def fetched(session: Session, row: MediaFetch, data: bytes, content_type: str | None,
            now: datetime, delete_after: bool, source: str = "mms") -> None:
    """Store what Twilio gave (or record why it was refused); then delete Twilio's copy."""
    try:
        kept = attachments.store_attachment(session, contact_id=row.contact_id, data=data,
                                            declared_type=content_type or row.declared_type,
                                            source=source)
        session.flush()
        row.outcome, row.attachment_id = "stored", kept.id
        contact_log.append(session, "contact.media_stored", contact_id=row.contact_id, at=now,
                           detail={"attachment_id": kept.id, "type": kept.content_type,
                                   "size": kept.size})
    except attachments.AttachmentRefused as refused:
        row.outcome, row.last_error = "refused", str(refused)[:200]
        contact_log.append(session, "contact.media_refused", contact_id=row.contact_id,
                           at=now, detail={"position": row.position, "reason": str(refused)})
    row.claimed_until = None
    row.status = "deleting" if delete_after else "done"
    row.next_attempt_at = now
    if not delete_after:
        row.attempts = 0


def deleted(session: Session, row: MediaFetch, now: datetime) -> None:
    """Twilio no longer holds the media (or never will again)."""
    row.status, row.claimed_until = "done", None
    contact_log.append(session, "contact.media_deleted", contact_id=row.contact_id, at=now,
                       detail={"position": row.position})


def retry_later(session: Session, row: MediaFetch, error: str, now: datetime) -> None:
    """Twilio did not answer (or answered 5xx/429): the same step again after a while."""
    row.last_error, row.claimed_until = error[:200], None
    row.next_attempt_at = now + backoff(row.attempts)


def gone(session: Session, row: MediaFetch, error: str, now: datetime) -> None:
    """Twilio says the media is not there (404): nothing to fetch, nothing to delete."""
    row.status, row.outcome, row.last_error, row.claimed_until = "done", "missing", error, None
    contact_log.append(session, "contact.media_missing", contact_id=row.contact_id, at=now,
                       detail={"position": row.position, "error": error})


def not_shown(session: Session, contact_id: int) -> list[MediaFetch]:
    """This contact's media not (yet) in the attachment store: still to fetch, refused or
    missing; the staff page says which and why."""
    return list(session.scalars(select(MediaFetch).where(
        MediaFetch.contact_id == contact_id,
        or_(MediaFetch.status == "pending", MediaFetch.outcome.in_(("refused", "missing"))))
        .order_by(MediaFetch.position)))
