"""Staff sign-in state kept in the database: server-side sessions and login-attempt counters.

A browser's cookie holds only a random token; the row is found by the token's SHA-256, so a
read of this table gives nobody a usable cookie. Every web worker reads the same rows, so a
deactivation or an idle timeout ends a session for all of them at once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hub.models.base import Base, UTCDateTime, utcnow


class StaffSession(Base):
    """One browser's session on the staff pages; ``staff_id`` is set once someone signs in."""

    __tablename__ = "staff_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    # JSON of what the pages keep between requests (Flask-Login's id, the CSRF secret,
    # break-glass grants); never patient data.
    data: Mapped[str] = mapped_column(Text, default="{}")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_why: Mapped[str | None] = mapped_column(String(16))  # logout|idle|deactivated|renewed


class LoginLimit(Base):
    """A fixed-window counter of failed sign-ins (Flask-Limiter's storage, shared by workers)."""

    __tablename__ = "login_limits"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    hits: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[float] = mapped_column(Float)  # Unix time the window ends
