"""The outbound queue: rows of what is to be sent (pages, replies, alerts), added in the
caller's transaction; the edge (`messages.dispatch`) sends them after the commit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.models import Outbound, Staff

# A page to one person about one contact: on any step, or (``round``) the last-resort
# round's call to a manager, which a round bundles (messages.round_calls).
PAGE_KINDS = ("page", "round")
# Rows that carry other rows' pages: an SMS or a last-resort round's call about several
# contacts (``bundle``), one paging call about several (``call_bundle``, messages.page_calls).
BUNDLE_KINDS = ("bundle", "call_bundle")


def row(*, kind: str, channel: str, to: str, body: str, now: datetime,
        contact_id: int | None = None, page_id: int | None = None,
        staff_id: int | None = None) -> dict[str, Any]:
    """The values of an Outbound row due now (for inserting many with one statement)."""
    return {"kind": kind, "channel": channel, "to_number": to, "body": body, "status": "pending",
            "contact_id": contact_id, "page_id": page_id, "staff_id": staff_id,
            "attempts": 0, "version": 0, "next_attempt_at": now, "created_at": now}


def queue(session: Session, *, kind: str, channel: str, to: str, body: str, now: datetime,
          contact_id: int | None = None, page_id: int | None = None,
          staff_id: int | None = None) -> Outbound:
    """Add an Outbound row due now; a dispatcher sends it after the transaction commits."""
    outbound = Outbound(**row(kind=kind, channel=channel, to=to, body=body, now=now,
                              contact_id=contact_id, page_id=page_id, staff_id=staff_id))
    session.add(outbound)
    session.flush()
    return outbound


def carried(session: Session, row: Outbound) -> list[Outbound]:
    """The page rows an outbound row carries: itself, a bundle's pages (not its alerts), or
    none."""
    if row.kind in BUNDLE_KINDS:
        return list(session.scalars(select(Outbound).where(
            Outbound.bundle_id == row.id, Outbound.kind.in_(PAGE_KINDS)).order_by(Outbound.id)))
    return [row] if row.kind in PAGE_KINDS else []


def alert_managers(session: Session, body: str, now: datetime,
                   leave_out: int | None = None) -> int:
    """Text ``body`` to every active manager with a phone (but ``leave_out``, a staff id);
    return how many were texted."""
    managers = [m for m in session.scalars(
        select(Staff).where(Staff.role == "manager", Staff.active.is_(True)).order_by(Staff.id))
        if (m.phone or "").strip() and m.id != leave_out]
    for manager in managers:
        queue(session, kind="alert", channel="sms", to=manager.phone or "", body=body, now=now,
              staff_id=manager.id)
    return len(managers)
