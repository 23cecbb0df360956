"""A contact (one text, call or portal message) and what the hub did about it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.crypto import Encrypted
from hub.models.base import Base, UTCDateTime, utcnow
from hub.models.people import Caregiver, Patient, Staff


class Contact(Base):
    """An inbound contact; persisted (encrypted) before any decision is taken about it.

    Lifecycle: received -> paging -> acknowledged -> resolved; a contact the engine failed
    to route again and again is ``quarantined`` (set aside, the managers told; staff may
    still acknowledge it, ``hub quarantine release`` puts it back in line).
    """

    __tablename__ = "contacts"
    # The manager's log reads newest first, filtered by state, urgency, channel or patient.
    __table_args__ = (Index("ix_contacts_status_received", "status", "received_at"),
                      Index("ix_contacts_received", "received_at"),
                      Index("ix_contacts_urgency_received", "urgency", "received_at"),
                      Index("ix_contacts_patient_received", "patient_id", "received_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    # Opaque reference used in pages and URLs instead of anything identifying.
    ref: Mapped[str] = mapped_column(String(16), unique=True)
    channel: Mapped[str] = mapped_column(String(16))  # sms | voice | portal | chat
    # Twilio's MessageSid/CallSid: a retried webhook finds the contact it already made.
    provider_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    from_number: Mapped[str | None] = mapped_column(Encrypted)
    from_index: Mapped[str | None] = mapped_column(String(64), index=True)
    body: Mapped[str | None] = mapped_column(Encrypted)
    # A chat message's Twilio Conversation (CH...): where the answer and staff replies go.
    conversation_sid: Mapped[str | None] = mapped_column(String(34))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    status: Mapped[str] = mapped_column(String(16), default="received")
    match: Mapped[str | None] = mapped_column(String(16))  # patient|caregiver|ambiguous|unknown
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patients.id"))
    caregiver_id: Mapped[int | None] = mapped_column(ForeignKey("caregivers.id"))
    # Patient ids an ambiguous sender may mean (comma-separated): asked, never guessed.
    candidates: Mapped[str | None] = mapped_column(String(255))
    urgency: Mapped[str] = mapped_column(String(16), default="routine")
    # The classification and the rules that fired (JSON, encrypted: it says what is wrong).
    triage: Mapped[str | None] = mapped_column(Encrypted)
    ack_code: Mapped[str | None] = mapped_column(String(8), index=True)
    escalation_step: Mapped[int] = mapped_column(Integer, default=0)
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=0)

    patient: Mapped[Patient | None] = relationship()
    caregiver: Mapped[Caregiver | None] = relationship()

    @property
    def candidate_ids(self) -> list[int]:
        return [int(part) for part in self.candidates.split(",")] if self.candidates else []
    acknowledged_by: Mapped[Staff | None] = relationship(foreign_keys=[acknowledged_by_id])
    resolved_by: Mapped[Staff | None] = relationship(foreign_keys=[resolved_by_id])


class Page(Base):
    """One staff member paged about one contact at one escalation step."""

    __tablename__ = "pages"
    # Who was paged when: the manager's interruptions and the log's staff filter.
    __table_args__ = (Index("ix_pages_staff_created", "staff_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    step: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    contact: Mapped[Contact] = relationship()
    staff: Mapped[Staff] = relationship()


class Outbound(Base):
    """A message or call waiting to go out, going out, or gone (the transactional outbox).

    Rows are written in the same transaction as the decision that needs them, then claimed
    and sent by whichever process gets there first; failures retry with backoff.
    """

    __tablename__ = "outbound"
    __table_args__ = (Index("ix_outbound_due", "status", "next_attempt_at"),
                      Index("ix_outbound_staff_sent", "staff_id", "channel", "sent_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    # page | bundle | reply | alert | callback | fallback (the last-resort call) | outreach
    kind: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(8))  # sms | call | chat (a Conversation)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    page_id: Mapped[int | None] = mapped_column(ForeignKey("pages.id"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    to_number: Mapped[str] = mapped_column(Encrypted)
    body: Mapped[str] = mapped_column(Encrypted)
    # pending -> sending -> sent -> delivered, or -> failed (gave up) / undelivered (carrier);
    # a page carried by a bundle (several pages to one person in one SMS) -> bundled;
    # a page whose contact was acknowledged before it went out -> cancelled; a row the
    # engine failed on again and again -> quarantined.
    status: Mapped[str] = mapped_column(String(16), default="pending")
    bundle_id: Mapped[int | None] = mapped_column(ForeignKey("outbound.id"))
    provider_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)  # never patient data
    # An attempt Twilio may have taken without saying so (timed out): ask before resending.
    unsure_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=0)

    page: Mapped[Page | None] = relationship()


class Timer(Base):
    """A durable deadline (next escalation step); any process may claim and fire it once."""

    __tablename__ = "timers"
    __table_args__ = (Index("ix_timers_due", "fired_at", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="escalate")
    step: Mapped[int] = mapped_column(Integer)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    fired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer, default=0)


class InboundReceipt(Base):
    """A webhook already handled that made no contact (a staff ACK, an opt-out): dedupe by Sid."""

    __tablename__ = "inbound_receipts"

    sid: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    reply: Mapped[str | None] = mapped_column(Encrypted)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
