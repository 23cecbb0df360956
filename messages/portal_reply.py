"""A care team member answers a portal message: the answer is kept (encrypted) for the
portal, and the writer is texted only that a message waits, with the portal's link: no word
of the answer travels by SMS. A number that sent STOP gets no text (the answer still waits).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from hub import contact_log, opt_outs, outbox
from hub.models import Contact, PortalReply, Staff
from messages import texts


def answer(session: Session, contact: Contact, staff: Staff, body: str, now: datetime,
           portal_link: str) -> bool:
    """Store the answer and queue the "new message" text (with ``portal_link``); True when
    the text was queued."""
    session.add(PortalReply(contact_id=contact.id, staff_id=staff.id, body=body, created_at=now))
    texted = bool(contact.from_number and contact.from_index
                  and not opt_outs.opted_out(session, [contact.from_index]))
    if texted and contact.from_number:
        language = contact.patient.language if contact.patient else None
        outbox.queue(session, kind="notice", channel="sms", to=contact.from_number, now=now,
                     body=texts.portal_new_message(portal_link, language), contact_id=contact.id,
                     staff_id=staff.id)
    contact_log.append(session, "contact.replied", contact_id=contact.id,
                       actor=f"staff:{staff.id}", at=now,
                       detail={"channel": "portal", "characters": len(body),
                               "texted": texted})
    return texted
