"""Queue a message or call in the outbound table, in the caller's transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from hub.models import Outbound


def queue(session: Session, *, kind: str, channel: str, to: str, body: str, now: datetime,
          contact_id: int | None = None, page_id: int | None = None,
          staff_id: int | None = None) -> Outbound:
    """Add an Outbound row due now; a dispatcher sends it after the transaction commits."""
    row = Outbound(kind=kind, channel=channel, to_number=to, body=body, status="pending",
                   contact_id=contact_id, page_id=page_id, staff_id=staff_id,
                   next_attempt_at=now, created_at=now)
    session.add(row)
    session.flush()
    return row
