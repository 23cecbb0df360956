"""Staff replies to pages by SMS: ``ACK``, ``ACK <code>``, ``ACK ALL``, ``CALL <code>``,
``RESOLVE <code> [minutes]``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from hub import care_time, contacts
from hub.contacts import WAITING
from hub.models import Contact, Staff
from messages import callback_call, texts
from routing import lifecycle
from routing.policy import Policy

# A verb, then (glued on or not) a code of 4 to 8 digits (4 unless thousands of contacts
# are open at once: hub.contacts.new_ack_codes) or ALL, then anything: what follows the code
# is the minutes of a RESOLVE ("RESOLVE 1234 15 min"), and makes any other verb no command.
COMMAND = re.compile(r"^\s*(ACK|RESOLVE|CALL|HELP)(?![A-Z])[\s:#-]*(\d{4,8}(?!\d)|ALL\b)?"
                     r"[\s,]*(.*?)\s*\.?\s*$", re.IGNORECASE | re.DOTALL)
MINUTES = re.compile(r"^(\d{1,5})\s*(?:m|mins?|minutes?)?$", re.IGNORECASE)


@dataclass(frozen=True)
class StaffCommand:
    verb: str  # ACK | RESOLVE | CALL | HELP
    code: str | None
    minutes: str | None = None  # as typed; checked by care_time.parse_minutes


def parse(body: str | None) -> StaffCommand | None:
    """The command in a staff member's reply, or None when it is not one (nothing is done:
    :func:`not_understood` answers it)."""
    match = COMMAND.match(body or "")
    if match is None:
        return None
    verb, code, rest = match.group(1).upper(), match.group(2), match.group(3)
    if rest and not (verb == "RESOLVE" and code):
        return None  # "ACK 15", "ack pls": a typo acts on nothing
    minutes = MINUTES.match(rest)
    return StaffCommand(verb, code.upper() if code else None,
                        (minutes.group(1) if minutes else rest) or None)


def not_understood(session: Session, staff: Staff) -> str:
    """The answer to a staff text that is no command: nothing done, and the codes open."""
    return texts.staff_not_understood(
        [c.ack_code or "" for c in contacts.open_pages_for(session, staff)])


def handle(session: Session, staff: Staff, command: StaffCommand, now: datetime,
           policy: Policy | None = None, line: callback_call.Line | None = None) -> str:
    """Carry out a staff command; return the text to send back to the staff member.

    ``CALL <code>`` rings the staff member back and connects them to the contact's sender
    through ``line`` (the practice number).
    """
    if command.verb == "HELP":
        return texts.STAFF_HELP
    open_contacts = contacts.open_pages_for(session, staff)
    if command.code == "ALL":
        if command.verb != "ACK":
            return "Reply RESOLVE <code> to close a contact. " + texts.STAFF_HELP
        taken = [c.ref for c in open_contacts if c.status in WAITING
                 and lifecycle.acknowledge(session, c, staff, now, via="sms", policy=policy)]
        return texts.staff_acknowledged_all(taken) if taken \
            else texts.staff_nothing_open()
    if command.code is not None:
        chosen = [c for c in open_contacts if c.ack_code == command.code]
    elif command.verb == "ACK":
        chosen = [c for c in open_contacts if c.status in WAITING]
        if len(chosen) > 1:
            return texts.staff_which([c.ack_code or "" for c in chosen])
    else:
        return f"Reply {command.verb} <code>. " + texts.STAFF_HELP
    if not chosen:
        return texts.staff_nothing_open()
    contact = chosen[0]
    if command.verb == "CALL":
        return _call(session, contact, staff, line, now, policy)
    if command.verb == "ACK":
        if lifecycle.acknowledge(session, contact, staff, now, via="sms", policy=policy):
            return texts.staff_acknowledged(contact.ref)
        return texts.staff_already(contact.ref, contact.status)
    return _resolve(session, contact, staff, command, now)


def _call(session: Session, contact: Contact, staff: Staff, line: callback_call.Line | None,
          now: datetime, policy: Policy | None) -> str:
    try:
        if line is None:
            raise callback_call.CannotCall("callbacks are not set up on this line")
        callback_call.start(session, contact, staff, line, now, policy)
    except callback_call.CannotCall as exc:
        return f"Cannot call back {contact.ref}: {exc}."
    return texts.staff_calling(contact.ref)


def _resolve(session: Session, contact: Contact, staff: Staff, command: StaffCommand,
             now: datetime) -> str:
    try:
        minutes = care_time.parse_minutes(command.minutes)
    except care_time.BadMinutes as exc:  # nothing resolved: they try again
        return texts.staff_bad_minutes(str(exc), contact.ack_code or command.code or "")
    if not lifecycle.resolve(session, contact, staff, now, via="sms"):
        return texts.staff_already(contact.ref, contact.status)
    counted = minutes is not None and care_time.add_for_contact(
        session, contact, staff, minutes * 60, "callback", now) is not None
    return texts.staff_resolved(contact.ref, minutes, counted)
