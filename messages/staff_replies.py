"""Staff replies to pages by SMS: ``ACK``, ``ACK <code>``, ``ACK ALL``, ``RESOLVE <code>``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from hub import lifecycle
from hub.models import Staff
from messages import templates
from routing.escalation import WAITING
from routing.policy import Policy

COMMAND = re.compile(r"^\s*(ACK|RESOLVE|HELP)\b[\s:#-]*(\d{4}|ALL\b)?\s*\.?\s*$",
                     re.IGNORECASE)


@dataclass(frozen=True)
class StaffCommand:
    verb: str  # ACK | RESOLVE | HELP
    code: str | None


def parse(body: str | None) -> StaffCommand | None:
    """The command in a staff member's reply, or None when it is not one."""
    match = COMMAND.match(body or "")
    if match is None:
        return None
    code = match.group(2)
    return StaffCommand(match.group(1).upper(), code.upper() if code else None)


def handle(session: Session, staff: Staff, command: StaffCommand, now: datetime,
           policy: Policy | None = None) -> str:
    """Carry out a staff command; return the text to send back to the staff member."""
    if command.verb == "HELP":
        return templates.STAFF_HELP
    open_contacts = lifecycle.open_pages_for(session, staff)
    if command.code == "ALL":
        if command.verb != "ACK":
            return "Reply RESOLVE <code> to close a contact. " + templates.STAFF_HELP
        taken = [c.ref for c in open_contacts if c.status in WAITING
                 and lifecycle.acknowledge(session, c, staff, now, via="sms", policy=policy)]
        return templates.staff_acknowledged_all(taken) if taken \
            else templates.staff_nothing_open()
    if command.code is not None:
        chosen = [c for c in open_contacts if c.ack_code == command.code]
    elif command.verb == "ACK":
        chosen = [c for c in open_contacts if c.status in WAITING]
        if len(chosen) > 1:
            return templates.staff_which([c.ack_code or "" for c in chosen])
    else:
        return "Reply RESOLVE <code> to close a contact. " + templates.STAFF_HELP
    if not chosen:
        return templates.staff_nothing_open()
    contact = chosen[0]
    if command.verb == "ACK":
        if lifecycle.acknowledge(session, contact, staff, now, via="sms", policy=policy):
            return templates.staff_acknowledged(contact.ref)
        return templates.staff_already(contact.ref, contact.status)
    if lifecycle.resolve(session, contact, staff, now, via="sms"):
        return templates.staff_resolved(contact.ref)
    return templates.staff_already(contact.ref, contact.status)
