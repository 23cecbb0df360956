"""A photo Twilio holds for an inbound MMS, waiting to be fetched into the attachment store."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hub.crypto import Encrypted
from hub.models.base import Base, UTCDateTime, utcnow


class MediaFetch(Base):
    """One ``MediaUrlN`` of an inbound MMS: kept (encrypted) with its contact on arrival, then
    fetched by the engine off the webhook's request, stored as an :class:`Attachment`, and
    deleted from Twilio.

    Status: pending (to fetch) -> deleting (kept or refused; Twilio's copy to delete) -> done;
    ``outcome`` says whether the file was stored or refused (too large, a type not allowed).
    A retried webhook adds no row (one per contact and position).
    """

    __tablename__ = "media_fetches"
    __table_args__ = (UniqueConstraint("contact_id", "position"),
                      Index("ix_media_fetches_due", "status", "next_attempt_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"))
    position: Mapped[int] = mapped_column(Integer)  # N of MediaUrlN
    url: Mapped[str] = mapped_column(Encrypted)
    declared_type: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    outcome: Mapped[str | None] = mapped_column(String(16))  # stored | refused
    attachment_id: Mapped[int | None] = mapped_column(ForeignKey("attachments.id"))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(200))  # never patient data
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=0)
