"""The portal's rows: one-time sign-in codes, portal sessions, and the care team's replies.

A code is kept only as a keyed hash (HMAC under the index key, with a random salt of its
own): a read of the table gives nobody a code. A portal session is a browser's row like a
staff session, in a table of its own (a staff cookie opens no portal page, nor the other way).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.crypto import Encrypted
from hub.models.base import Base, UTCDateTime, utcnow
from hub.models.contacts import Contact
from hub.models.people import Staff


class PortalCode(Base):
    """One code texted to a number (known or not: an unknown number gets a row too, and no
    text, so the two take the same work). Dead once used, expired, or tried 5 times wrong;
    the last makes ``locked_until`` (no new code for that number before it)."""

    __tablename__ = "portal_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone_index: Mapped[str] = mapped_column(String(64), index=True)
    salt: Mapped[str] = mapped_column(String(32))
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    tries: Mapped[int] = mapped_column(Integer, default=0)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PortalSession(Base):
    """One browser's session on the portal; ``phone_index`` is set once the code is right."""

    __tablename__ = "portal_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    phone_index: Mapped[str | None] = mapped_column(String(64), index=True)
    # JSON: the CSRF secret, the number's keyed hash, the patients it may pick, the language
    # chosen; never a name, number or message.
    data: Mapped[str] = mapped_column(Text, default="{}")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_why: Mapped[str | None] = mapped_column(String(16))  # logout|idle|renewed


class PortalReply(Base):
    """A care team member's answer to a portal message, shown in the portal (encrypted)."""

    __tablename__ = "portal_replies"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    body: Mapped[str] = mapped_column(Encrypted)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    contact: Mapped[Contact] = relationship()
    staff: Mapped[Staff] = relationship()
