"""Who signs in to the portal with a number, and the conversation they see.

A number on file is a patient's own (``patient_phones``) or a caregiver's (a RelatedPerson
with a phone; one caregiver row per patient she cares for). Each patient the number may
speak for is a :class:`Choice`; a caregiver of several patients picks one. The conversation
of a patient is every portal message about them (by the patient or a caregiver of theirs)
and the care team's replies, oldest first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.models import Attachment, Caregiver, Contact, Patient, PatientPhone, PortalReply

CHANNEL = "portal"


@dataclass(frozen=True)
class Choice:
    """A patient this number may write about, and as whom (a caregiver's id, or None)."""

    patient_id: int
    patient_ref: str
    caregiver_id: int | None

    def as_json(self) -> list[object]:
        return [self.patient_id, self.patient_ref, self.caregiver_id]

    @classmethod
    def from_json(cls, value: list[object]) -> Choice:
        patient_id, ref, caregiver_id = value
        return cls(int(str(patient_id)), str(ref),
                   int(str(caregiver_id)) if caregiver_id is not None else None)


def choices(session: Session, phone_index: str) -> list[Choice]:
    """The patients this number speaks for: her own record first, then those she cares for."""
    own = session.execute(select(Patient.id, Patient.ref).join(PatientPhone)
                          .where(PatientPhone.phone_index == phone_index)
                          .order_by(Patient.id)).all()
    cared = session.execute(select(Caregiver.patient_id, Patient.ref, Caregiver.id)
                            .join(Patient, Patient.id == Caregiver.patient_id)
                            .where(Caregiver.phone_index == phone_index)
                            .order_by(Caregiver.patient_id, Caregiver.id)).all()
    found: dict[int, Choice] = {}
    for patient_id, ref, in own:
        found.setdefault(patient_id, Choice(patient_id, ref or "", None))
    for patient_id, ref, caregiver_id in cared:
        found.setdefault(patient_id, Choice(patient_id, ref or "", caregiver_id))
    return [c for c in found.values() if c.patient_ref]


def number_on_file(session: Session, phone_index: str, choice: Choice) -> str | None:
    """The number (E.164, decrypted) this person signed in with, as the practice keeps it."""
    if choice.caregiver_id is not None:
        return session.scalar(select(Caregiver.phone).where(Caregiver.id == choice.caregiver_id))
    return session.scalar(select(PatientPhone.phone).where(
        PatientPhone.patient_id == choice.patient_id, PatientPhone.phone_index == phone_index))


def first_name(name: str | None) -> str:
    return (name or "?").split()[0]


@dataclass(frozen=True)
class Entry:
    """One message of the conversation: who wrote it, when, and what it says."""

    at: datetime
    from_team: bool
    author: str  # a first name ("Lena", "Nora"), never a number
    body: str
    contact_id: int
    mine: bool  # written by the person signed in
    attachments: tuple[Any, ...] = ()  # hub.attachments.Attachment rows of the message


def conversation(session: Session, patient_id: int, phone_index: str) -> list[Entry]:
    """The portal messages about this patient and the team's replies, oldest first."""
    contacts = list(session.scalars(select(Contact).where(
        Contact.patient_id == patient_id, Contact.channel == CHANNEL)))
    entries: list[Entry] = []
    for contact in contacts:
        author = contact.caregiver.name if contact.caregiver else (
            contact.patient.name if contact.patient else None)
        entries.append(Entry(contact.received_at, False, first_name(author), contact.body or "",
                             contact.id, contact.from_index == phone_index))
    ids = [c.id for c in contacts]
    files: dict[int, list[Any]] = {}
    for kept in session.scalars(select(Attachment).where(Attachment.contact_id.in_(ids))
                                .order_by(Attachment.id)):
        files.setdefault(kept.contact_id, []).append(kept)
    entries = [Entry(e.at, e.from_team, e.author, e.body, e.contact_id, e.mine,
                     tuple(files.get(e.contact_id, ()))) for e in entries]
    if ids:
        for reply in session.scalars(select(PortalReply).where(
                PortalReply.contact_id.in_(ids))):
            entries.append(Entry(reply.created_at, True, first_name(reply.staff.name),
                                 reply.body, reply.contact_id, False))
    return sorted(entries, key=lambda e: (e.at, e.from_team))


def may_see_contact(session: Session, contact_id: int, patient_id: int) -> bool:
    """True when this contact is a portal message about this patient."""
    return session.scalar(select(Contact.id).where(
        Contact.id == contact_id, Contact.patient_id == patient_id,
        Contact.channel == CHANNEL)) is not None
