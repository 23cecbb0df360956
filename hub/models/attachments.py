"""A photo or document a patient or caregiver sent with a contact (MMS, chat, portal)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, deferred, mapped_column

from hub.crypto import EncryptedBytes
from hub.models.base import Base, UTCDateTime, utcnow


class Attachment(Base):
    """One file kept with a contact: its bytes encrypted (one Fernet token), its sniffed type,
    size and SHA-256 in clear (they say nothing about the patient). ``data`` is deferred: a
    list of attachments never decrypts them; :func:`hub.attachments.read_attachment` does."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    content_type: Mapped[str] = mapped_column(String(64))  # sniffed from the bytes, not declared
    size: Mapped[int] = mapped_column(Integer)  # bytes, before encryption
    sha256: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(16))  # mms | chat | portal
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    data: Mapped[bytes] = deferred(mapped_column(EncryptedBytes, nullable=False))
