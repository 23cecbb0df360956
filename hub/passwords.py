"""Staff passwords: argon2id hashes (argon2-cffi), older hashes accepted once and rehashed.

Hashes written before argon2 (werkzeug's ``scrypt:``/``pbkdf2:``) still sign their owner
in; the sign-in then stores an argon2 hash in their place. An unknown e-mail is checked
against a dummy hash, so it costs the same time and gives the same answer as a wrong
password.
"""

from __future__ import annotations

from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from werkzeug.security import check_password_hash

_hasher = PasswordHasher()
# Verified when nobody has the e-mail given: argon2's full cost, never a match.
_DUMMY = _hasher.hash("no such staff member: this never signs anyone in")

MIN_LENGTH = 12


class WeakPassword(ValueError):
    """A password too short to set (the message says what is wanted)."""


@dataclass(frozen=True)
class Checked:
    """The outcome of a password check: ``ok``, and the hash to store instead, if any."""

    ok: bool
    new_hash: str | None = None


def hash_password(password: str, demo: bool = False) -> str:
    """The argon2id hash to store; raise WeakPassword for a short one (``demo``: the demo
    practice's printed passwords, short on purpose)."""
    if len(password) < MIN_LENGTH and not demo:
        raise WeakPassword(f"too short: at least {MIN_LENGTH} characters")
    return _hasher.hash(password)


def check(stored: str | None, password: str) -> Checked:
    """Check ``password`` against a stored hash (None: unknown or no password yet)."""
    if not stored or not stored.startswith("$argon2"):
        try:  # the same work as a real check, whatever the outcome
            _hasher.verify(_DUMMY, password)
        except VerificationError:
            pass
        if stored and check_password_hash(stored, password):
            return Checked(True, _hasher.hash(password))
        return Checked(False)
    try:
        _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return Checked(False)
    return Checked(True, _hasher.hash(password) if _hasher.check_needs_rehash(stored) else None)
