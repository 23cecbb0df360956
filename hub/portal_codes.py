"""One-time sign-in codes for the portal, as NIST SP 800-63B asks of out-of-band codes.

Six digits from :mod:`secrets`, valid ten minutes, good for one sign-in, kept only as a
keyed hash (HMAC under the index key, salted per code). Five wrong tries kill the code and
lock the number for :data:`LOCKED_FOR` (no new code is sent to it before then). A newer code
replaces the one before. Every change is one conditional UPDATE, so two workers checking the
same code at once cannot both use it, nor both count one try.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hub.crypto import active
from hub.models import PortalCode

DIGITS = 6
VALID_FOR = timedelta(minutes=10)
MAX_TRIES = 5
LOCKED_FOR = timedelta(minutes=30)


class Locked(Exception):
    """The number is locked (too many wrong codes) until ``until``."""

    def __init__(self, until: datetime) -> None:
        super().__init__(f"locked until {until:%H:%M} UTC")
        self.until = until


@dataclass(frozen=True)
class Checked:
    """The outcome of a code typed in: ``ok``; ``wrong`` (``tries_left`` more); ``locked``
    (that was the last try); ``none`` (no live code: never sent, used, expired or dead)."""

    outcome: str
    tries_left: int = 0


def _hash(salt: str, code: str) -> str:
    return active().blind_index(f"portal-code:{salt}:{code}")


def locked_until(session: Session, phone_index: str, now: datetime) -> datetime | None:
    """When the number's lock ends, or None when it is not locked."""
    return session.scalar(select(PortalCode.locked_until).where(
        PortalCode.phone_index == phone_index, PortalCode.locked_until > now)
        .order_by(PortalCode.locked_until.desc()).limit(1))


def issue(session: Session, phone_index: str, now: datetime) -> str:
    """A new code for this number (the one before it dies); raises :class:`Locked`."""
    until = locked_until(session, phone_index, now)
    if until is not None:
        raise Locked(until)
    session.execute(update(PortalCode).where(
        PortalCode.phone_index == phone_index, PortalCode.used_at.is_(None),
        PortalCode.expires_at > now).values(expires_at=now))
    code = f"{secrets.randbelow(10 ** DIGITS):0{DIGITS}d}"
    salt = secrets.token_hex(16)
    session.add(PortalCode(phone_index=phone_index, salt=salt, code_hash=_hash(salt, code),
                           created_at=now, expires_at=now + VALID_FOR, tries=0))
    session.flush()
    return code


def check(session: Session, phone_index: str, typed: str, now: datetime) -> Checked:
    """Check a typed code against the number's live code; use it up when right."""
    live = session.scalar(select(PortalCode).where(
        PortalCode.phone_index == phone_index, PortalCode.used_at.is_(None),
        PortalCode.tries < MAX_TRIES, PortalCode.expires_at > now)
        .order_by(PortalCode.id.desc()).limit(1))
    if live is None:
        return Checked("none")
    typed = "".join(typed.split())
    live_id = live.id
    if typed.isdigit() and hmac.compare_digest(_hash(live.salt, typed), live.code_hash):
        taken = session.execute(update(PortalCode).where(
            PortalCode.id == live_id, PortalCode.used_at.is_(None),
            PortalCode.tries < MAX_TRIES).values(used_at=now))
        return Checked("ok" if taken.rowcount == 1 else "none")  # type: ignore[attr-defined]
    counted = session.execute(update(PortalCode).where(
        PortalCode.id == live_id, PortalCode.used_at.is_(None), PortalCode.tries < MAX_TRIES)
        .values(tries=PortalCode.tries + 1))
    if counted.rowcount != 1:  # type: ignore[attr-defined]
        return Checked("none")
    tries = session.scalar(select(PortalCode.tries).where(PortalCode.id == live_id)
                           .execution_options(populate_existing=True)) or MAX_TRIES
    if tries >= MAX_TRIES:
        session.execute(update(PortalCode).where(PortalCode.id == live_id)
                        .values(locked_until=now + LOCKED_FOR))
        return Checked("locked")
    return Checked("wrong", MAX_TRIES - tries)
