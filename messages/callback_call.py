"""A callback through the practice line: the hub rings the staff member's phone and, once
they answer, connects them to the number that contacted the line, showing the practice
number (never the nurse's own). When the patient's side hangs up, Twilio posts the
connected seconds (DialCallDuration) to the Dial's action URL; they become measured
care-management time on the patient's month; on a transition task's contact, the call
is the interactive contact the discharge owed and closes the task.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from hub import care_time, contact_log, outbox
from hub.models import Contact, InboundReceipt, Outbound, Staff
from messages import twiml
from routing import lifecycle, transition_pages
from routing.policy import Policy


class CannotCall(ValueError):
    """Why this callback cannot be placed (the message names it; no patient data)."""


@dataclass(frozen=True)
class Line:
    """The practice line a callback goes out on: its number and the hub's public URL."""

    practice_number: str
    public_url: str

    def done_url(self, outbound_id: int) -> str:
        return f"{self.public_url}/twilio/callback-done/{outbound_id}"


def start(session: Session, contact: Contact, staff: Staff, line: Line, now: datetime,
          policy: Policy | None = None) -> Outbound:
    """Queue the call to ``staff`` that bridges to the contact's sender; acknowledges an
    unacknowledged contact (whoever calls back has taken it)."""
    if not staff.phone:
        raise CannotCall("your staff record has no phone number to ring")
    if contact.from_index is None or not contact.from_number:
        raise CannotCall("the contact came from no number that can be called back")
    lifecycle.acknowledge(session, contact, staff, now, via="callback", policy=policy)
    row = outbox.queue(session, kind="callback", channel="call", to=staff.phone, body="",
                       now=now, contact_id=contact.id, staff_id=staff.id)
    # The action URL names the row, so the body is written once the row has its id.
    row.body = twiml.callback(contact.ref, contact.from_number,
                                        line.practice_number, line.done_url(row.id))
    contact_log.append(session, "callback.started", contact_id=contact.id, at=now,
                       actor=f"staff:{staff.id}", detail={"outbound_id": row.id})
    return row


def finished(session: Session, outbound_id: int, call_sid: str, dial_status: str,
             seconds: int, now: datetime) -> bool | None:
    """Record how the callback ended and count its connected time.

    Returns whether the call connected, or None when ``outbound_id`` is no callback of ours.
    A retried request (same CallSid) changes nothing.
    """
    row = session.get(Outbound, outbound_id)
    if row is None or row.kind != "callback" or row.contact_id is None or row.staff_id is None:
        return None
    connected = dial_status == "completed" and seconds > 0
    if session.get(InboundReceipt, call_sid) is not None:
        return connected
    session.add(InboundReceipt(sid=call_sid, kind="callback"))
    contact = session.get(Contact, row.contact_id)
    staff = session.get(Staff, row.staff_id)
    assert contact is not None and staff is not None  # foreign keys
    contact_log.append(session, "callback.ended", contact_id=contact.id, at=now,
                       actor=f"staff:{staff.id}", detail={
                           "outbound_id": row.id, "status": dial_status, "seconds": seconds})
    if connected:
        care_time.add_for_contact(session, contact, staff, seconds, "call", now)
        # The follow-up call a discharge owed (a transition task's contact) is made.
        transition_pages.callback_ended(session, contact, staff, seconds, now)
    return connected
