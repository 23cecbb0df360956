"""Twilio status callbacks: record delivery, redeliver a failed page once, then escalate."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub import contact_log, outbox, outreach_time
from hub.models import Outbound
from messages.transport import UNREACHABLE_CODES
from routing.escalation import hasten

# How a Twilio status maps onto the outbound row; statuses not listed change nothing.
FINAL_FAILURES = {"failed", "undelivered", "busy", "no-answer", "canceled"}
PROGRESS = {"queued", "accepted", "sending", "sent", "ringing", "in-progress"}
SUCCESS = {"delivered", "read", "completed"}
REDELIVERIES = 1


def record_status(session: Session, sid: str, status: str, error_code: int | None,
                  now: datetime, seconds: int = 0) -> bool:
    """Apply one status callback (``seconds``: a call's CallDuration); return False when the
    Sid is not one of ours."""
    row = session.scalar(select(Outbound).where(Outbound.provider_sid == sid)
                         .with_for_update())
    if row is None:
        return False
    if status in PROGRESS or row.status in ("delivered", "undelivered"):
        return True  # late or out-of-order callbacks never undo a final state
    if status in SUCCESS:
        row.status = "delivered"
        if row.kind == "outreach" and row.channel == "call":
            outreach_time.call_ended(session, row, seconds, now)
        contact_log.append(session, "outbound.delivered", contact_id=row.contact_id, at=now,
                           detail={"outbound_id": row.id, "channel": row.channel,
                                   "status": status})
        return True
    if status not in FINAL_FAILURES:
        return True
    row.status = "undelivered"
    row.last_error = f"Twilio status {status} (code {error_code})"
    contact_log.append(session, "outbound.undelivered", contact_id=row.contact_id, at=now,
                       detail={"outbound_id": row.id, "channel": row.channel, "status": status,
                               "error_code": error_code, "staff_id": row.staff_id})
    if row.kind == "bundle":  # several pages in one SMS: each of their contacts moves on
        for page in outbox.carried(session, row):
            if page.contact_id is not None:
                hasten(session, page.contact_id, now, f"bundle {row.id} undelivered")
        return True
    if row.kind != "page" or row.contact_id is None or row.channel == "call":
        return True  # an unanswered paging call is covered by the escalation timer
    tries = session.scalar(select(func.count(Outbound.id)).where(
        Outbound.page_id == row.page_id, Outbound.channel == row.channel))
    if error_code not in UNREACHABLE_CODES and (tries or 0) <= REDELIVERIES:
        outbox.queue(session, kind=row.kind, channel=row.channel, to=row.to_number,
                     body=row.body, now=now, contact_id=row.contact_id, page_id=row.page_id,
                     staff_id=row.staff_id)
        contact_log.append(session, "outbound.redeliver", contact_id=row.contact_id, at=now,
                           detail={"outbound_id": row.id})
    else:
        hasten(session, row.contact_id, now, f"page {row.page_id} undelivered")
    return True
