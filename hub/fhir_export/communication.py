"""One after-hours contact as a FHIR R4 Communication, for the practice's EHR.

Mapping (standard elements wherever R4 has one):

- ``status``: completed once resolved, else in-progress; ``sent``/``received``: when the
  hub received it (Twilio does not say when the phone sent it);
- ``medium``: v3 ParticipationMode PHONE (a call, its voicemail transcript as payload),
  WRITTEN with text "SMS", ONLINEWRIT (portal);
- ``priority``: stat when triage told the sender to call 911 or 988, urgent when urgent,
  else routine; ``category``: alert (urgent) or notification; ``reasonCode``: the triage
  rules and care-plan rules that fired;
- ``subject``/``sender``: the patient and the patient or caregiver who wrote, by FHIR id
  when imported, else a logical reference (:mod:`hub.fhir_export.refs`); a number matched
  to nobody (or to several patients) is a ``tel:`` identifier;
- ``recipient``: the staff who acknowledged and resolved it;
- ``note``: the contact's life from the log, each with its time and author: pages,
  acknowledgement, callback overdue, resolution and disposition, care time, consent flags.
  Events with no sentence of their own are still noted by name: nothing is left out.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from hub.fhir_export.notes import note_text
from hub.fhir_export.refs import Namespace, phone_ref
from hub.models import Caregiver, Contact, LogEntry, Staff

PARTICIPATION_MODE = "http://terminology.hl7.org/CodeSystem/v3-ParticipationMode"
CATEGORY = "http://terminology.hl7.org/CodeSystem/communication-category"
_MEDIUM = {"sms": ("WRITTEN", "written", "SMS"), "voice": ("PHONE", "telephone", "Phone call"),
           "portal": ("ONLINEWRIT", "online written", "Patient portal")}
# Log events that say nothing the Communication does not already hold, or that belong to
# the access audit rather than to the patient's record.
_QUIET = {"contact.received", "outbound.sent", "outbound.delivered", "outbound.retry",
          "outbound.redeliver", "access.view_contact"}
CHUNK = 500


def _when(value: datetime) -> str:
    return value.isoformat()


def _staff_id(actor: str | None) -> int | None:
    if actor and actor.startswith("staff:") and actor[6:].isdigit():
        return int(actor[6:])
    return None


class CommunicationWriter:
    """Builds the Communication of each contact; staff are read once and kept by id."""

    def __init__(self, session: Session, ns: Namespace) -> None:
        self.session = session
        self.ns = ns
        self.staff = {s.id: s for s in session.scalars(select(Staff))}

    def _name(self, staff_id: Any) -> str:
        staff = self.staff.get(staff_id) if isinstance(staff_id, int) else None
        return staff.name if staff is not None else f"staff #{staff_id}"

    def _notes(self, entries: list[LogEntry]) -> list[dict[str, Any]]:
        notes = []
        for entry in entries:
            if entry.event in _QUIET:
                continue
            note: dict[str, Any] = {"time": _when(entry.at),
                                    "text": note_text(entry.event, json.loads(entry.detail),
                                                      self._name)}
            staff = self.staff.get(_staff_id(entry.actor) or -1)
            if staff is not None:
                note["authorReference"] = self.ns.staff(staff)
            notes.append(note)
        return notes

    def _sender(self, contact: Contact) -> dict[str, Any] | None:
        if contact.caregiver is not None:
            return self.ns.caregiver(contact.caregiver)
        if contact.match == "patient" and contact.patient is not None:
            return self.ns.patient(contact.patient)
        if contact.from_index is not None and contact.from_number:
            note = "several patients" if contact.match == "ambiguous" else "not matched"
            return phone_ref(contact.from_number, note)
        if contact.from_number:
            return {"display": f"{contact.from_number} (not a phone number)"}
        return None  # caller ID withheld

    def build(self, contact: Contact, entries: list[LogEntry]) -> dict[str, Any]:
        """The Communication of one contact, its log ``entries`` in order."""
        triage = json.loads(contact.triage or "{}")
        urgent = contact.urgency == "urgent"
        code, display, text = _MEDIUM.get(contact.channel, ("ELECTRONIC", "electronic",
                                                            contact.channel))
        resource: dict[str, Any] = {
            "resourceType": "Communication",
            "id": contact.ref,
            "identifier": [{"system": self.ns.system("contact"), "value": contact.ref}],
            "status": "completed" if contact.status == "resolved" else "in-progress",
            "category": [{"coding": [{"system": CATEGORY,
                                      "code": "alert" if urgent else "notification"}]}],
            "priority": "stat" if triage.get("guidance") else ("urgent" if urgent else "routine"),
            "medium": [{"coding": [{"system": PARTICIPATION_MODE, "code": code,
                                    "display": display}], "text": text}],
            "sent": _when(contact.received_at),
            "received": _when(contact.received_at),
        }
        if contact.provider_sid:
            resource["identifier"].append({"system": self.ns.system("twilio-sid"),
                                           "value": contact.provider_sid})
        if contact.patient is not None:
            resource["subject"] = self.ns.patient(contact.patient)
        recipients = []
        for staff_id in dict.fromkeys([contact.acknowledged_by_id, contact.resolved_by_id]):
            if staff_id in self.staff:
                recipients.append(self.ns.staff(self.staff[staff_id]))
        if recipients:
            resource["recipient"] = recipients
        sender = self._sender(contact)
        if sender is not None:
            resource["sender"] = sender
        reasons = [*triage.get("fired", []), *(f"care plan rule {r}"
                                               for r in triage.get("plan_rules", []))]
        if reasons:
            resource["reasonCode"] = [{"text": reason} for reason in reasons]
        if contact.body:
            resource["payload"] = [{"contentString": contact.body}]
        notes = self._notes(entries)
        if contact.match == "ambiguous" and contact.patient_id is None:
            notes.insert(0, {"time": _when(contact.received_at),
                             "text": "The sender's number belongs to several patients "
                                     f"(hub patient ids {contact.candidates})"})
        if notes:
            resource["note"] = notes
        return resource


def communications(session: Session, ns: Namespace, since: datetime | None,
                   until: datetime | None) -> Iterator[dict[str, Any]]:
    """The Communication of every contact received in [since, until), oldest first.

    Each shows the contact's whole story so far (a contact received in the window and
    resolved after it is exported resolved). Contacts are read in chunks, their log
    entries with one query per chunk.
    """
    writer = CommunicationWriter(session, ns)
    query = select(Contact.id).order_by(Contact.received_at, Contact.id)
    if since is not None:
        query = query.where(Contact.received_at >= since)
    if until is not None:
        query = query.where(Contact.received_at < until)
    ids = list(session.scalars(query))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        contacts = session.scalars(
            select(Contact).where(Contact.id.in_(chunk))
            .options(selectinload(Contact.patient), selectinload(Contact.caregiver)
                     .selectinload(Caregiver.patient))
            .order_by(Contact.received_at, Contact.id)).all()
        by_contact: dict[int, list[LogEntry]] = defaultdict(list)
        for entry in session.scalars(select(LogEntry).where(LogEntry.contact_id.in_(chunk))
                                     .order_by(LogEntry.seq)):
            by_contact[entry.contact_id or 0].append(entry)
        for contact in contacts:
            yield writer.build(contact, by_contact[contact.id])
        session.expunge_all()  # a long export keeps one chunk in memory, not all

