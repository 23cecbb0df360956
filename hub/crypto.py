"""Field encryption (MultiFernet, rotatable) and keyed hashes for lookups without plaintext.

Every patient-identifying column is declared with :class:`Encrypted`; it encrypts on the
way into the database and decrypts on the way out with the process's :class:`FieldCipher`,
installed once at start-up by :func:`install`. Phone numbers are also stored as a keyed
HMAC (:meth:`FieldCipher.blind_index`) so they can be found without decrypting anything.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import Text
from sqlalchemy.types import TypeDecorator


class FieldCipher:
    """Encrypt with the first key, decrypt with any; keyed hashes with the index key.

    >>> cipher = FieldCipher([Fernet.generate_key().decode()], b"index-key-0123456789")
    >>> cipher.decrypt(cipher.encrypt("Amy Shaw"))
    'Amy Shaw'
    """

    def __init__(self, keys: list[str] | tuple[str, ...], index_key: bytes) -> None:
        self._fernet = MultiFernet([Fernet(k) for k in keys])
        self._index_key = index_key
        # Staff columns only (see Encrypted's ``remember``): the same few hundred tokens are
        # read for every routing decision and page; patient data is never kept in clear here.
        self.decrypt_remembered = functools.lru_cache(maxsize=4096)(
            lambda token: self.decrypt(token))

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def seal(self, plaintext: str) -> Sealed:
        """Encrypt now, for an :class:`Encrypted` column to store as is: one token for a value
        written to many rows at once (a staff phone on each of their pages)."""
        return Sealed(self.encrypt(plaintext))

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except InvalidToken:
            raise Undecryptable("a stored field") from None

    def rotate(self, token: str) -> str:
        """Re-encrypt a stored token under the first key."""
        return self._fernet.rotate(token.encode("ascii")).decode("ascii")

    def blind_index(self, value: str) -> str:
        """Keyed hash for equality lookups (phone numbers); stable across key rotation."""
        return hmac.new(self._index_key, value.encode("utf-8"), hashlib.sha256).hexdigest()

    def mac(self, message: bytes) -> str:
        """HMAC-SHA256 of the contact log's chain, under the index key."""
        return hmac.new(self._index_key, message, hashlib.sha256).hexdigest()


class Undecryptable(InvalidToken):
    """A stored field no key of HUB_ENCRYPTION_KEYS decrypts; the message says which field
    where known (table, column, row id), never its content."""


class Sealed(str):
    """A token from :meth:`FieldCipher.seal`. Rows sharing it show the database that their
    values are equal, so seal only what the rows already show in clear (a staff phone beside
    its ``staff_id``); everything else gets a fresh token per row."""


_active: FieldCipher | None = None


def install(cipher: FieldCipher) -> None:
    """Make ``cipher`` the one Encrypted columns use in this process (keys come from settings)."""
    global _active
    _active = cipher


def active() -> FieldCipher:
    if _active is None:
        raise RuntimeError("no field cipher installed: create the app (or call crypto.install)")
    return _active


class Encrypted(TypeDecorator[str]):
    """A text column stored as a Fernet token; None stays None.

    ``remember``: for the staff's own name and work phone, read on every routing decision,
    the process keeps what each token decrypted to (bounded) instead of decrypting it again.
    Never for patient data."""

    impl = Text
    cache_ok = True

    def __init__(self, remember: bool = False) -> None:
        super().__init__()
        self.remember = remember

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        if value is None:
            return None
        if isinstance(value, Sealed):
            return str(value)
        return active().encrypt(str(value))

    def process_result_value(self, value: Any, dialect: Any) -> str | None:
        if value is None:
            return None
        cipher = active()
        return cipher.decrypt_remembered(value) if self.remember else cipher.decrypt(value)
