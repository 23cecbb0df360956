"""What an admin does to a staff account: password, role, second factor, deactivation.

The ``hub staff`` commands call these; the caller's session commits. Deactivating someone
ends every open session of theirs in the same transaction: each web request checks its
session row, so the next click of that person (in any worker) is refused.
"""

from __future__ import annotations

from datetime import datetime

import pyotp
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hub.models import Staff, StaffSession
from hub.passwords import hash_password

# Stored spelling; the command line also takes "care-manager".
ROLES = ("nurse", "physician", "care_manager", "manager", "admin")
# These roles sign in with a TOTP code as well as a password, and cannot sign in without one.
SECOND_FACTOR_ROLES = ("manager", "admin")


class NoSuchStaff(LookupError):
    """No staff member has that e-mail."""


def by_email(session: Session, email: str) -> Staff:
    """The staff member with this e-mail (any case), or NoSuchStaff."""
    staff = session.scalar(select(Staff).where(Staff.email == email.strip().lower()))
    if staff is None:
        raise NoSuchStaff(f"no staff member has the e-mail {email.strip()!r}")
    return staff


def role_name(value: str) -> str:
    """The stored role for what a user typed ("care-manager" -> "care_manager"); ValueError."""
    role = value.strip().lower().replace("-", "_")
    if role not in ROLES:
        raise ValueError("not one of nurse, physician, care-manager, manager, admin")
    return role


def set_password(staff: Staff, password: str) -> None:
    """Store an argon2 hash of ``password`` (WeakPassword when too short)."""
    staff.password_hash = hash_password(password)


def enroll_totp(staff: Staff, issuer: str) -> str:
    """Give ``staff`` a new TOTP secret and return its ``otpauth://`` URI (an older one stops
    working)."""
    staff.totp_secret = pyotp.random_base32()
    staff.totp_last_step = None
    return totp_uri(staff, issuer)


def totp_uri(staff: Staff, issuer: str) -> str:
    """The ``otpauth://totp/...`` URI of an enrolled staff member's secret."""
    assert staff.totp_secret is not None
    return pyotp.TOTP(staff.totp_secret).provisioning_uri(name=staff.email or str(staff.id),
                                                          issuer_name=issuer)


def needs_second_factor(staff: Staff) -> bool:
    """True when this person must give a TOTP code to sign in."""
    return staff.totp_secret is not None or staff.role in SECOND_FACTOR_ROLES


def code_accepted(staff: Staff, code: str, now: datetime) -> bool:
    """Check a TOTP code (the step before and after count for clock drift); a code signs in
    once: its time step is remembered."""
    if staff.totp_secret is None:
        return False
    code = "".join(code.split())
    totp = pyotp.TOTP(staff.totp_secret)
    step = totp.timecode(now)
    for candidate in (step - 1, step, step + 1):
        if (staff.totp_last_step is None or candidate > staff.totp_last_step) and \
                pyotp.utils.strings_equal(totp.generate_otp(candidate), code):
            staff.totp_last_step = candidate
            return True
    return False


def end_sessions(session: Session, staff_id: int, now: datetime, why: str) -> int:
    """End every open session of one staff member; how many were open."""
    result = session.execute(
        update(StaffSession)
        .where(StaffSession.staff_id == staff_id, StaffSession.ended_at.is_(None))
        .values(ended_at=now, ended_why=why))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def deactivate(session: Session, staff: Staff, now: datetime) -> int:
    """The person can no longer sign in, and their open sessions end now; how many ended."""
    staff.active = False
    return end_sessions(session, staff.id, now, "deactivated")
