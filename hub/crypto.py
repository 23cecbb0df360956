"""Field encryption (MultiFernet, rotatable) and keyed hashes for lookups without plaintext.

Every patient-identifying column is declared with :class:`Encrypted`; it encrypts on the
way into the database and decrypts on the way out with the process's :class:`FieldCipher`,
installed once at start-up by :func:`install`. Phone numbers are also stored as a keyed
HMAC (:meth:`FieldCipher.blind_index`) so they can be found without decrypting anything.

``HUB_INDEX_KEY`` is not used as a key itself: HKDF (SHA-256) derives one key for the keyed
hashes (phone numbers, birth dates) and another for the contact log's MAC chain, each under
its own label, so neither use can stand in for the other. Data written before the keys were
split is moved over once (:mod:`hub.key_split`); :meth:`FieldCipher.undivided` reads it.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import hmac
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Text
from sqlalchemy.types import TypeDecorator

INDEX_LABEL = b"careline-hub keyed-hash index v1"
LOG_MAC_LABEL = b"careline-hub contact log mac v1"


def derive(master: bytes, label: bytes) -> bytes:
    """A 32-byte key for one use of ``master`` (HKDF-SHA256, ``label`` as its info)."""
    return HKDF(algorithm=SHA256(), length=32, salt=None, info=label).derive(master)


class FieldCipher:
    """Encrypt with the first key, decrypt with any; keyed hashes and the log's MAC each under
    their own key derived from the index key (once, when the cipher is made).

    >>> cipher = FieldCipher([Fernet.generate_key().decode()], b"index-key-0123456789")
    >>> cipher.decrypt(cipher.encrypt("Amy Shaw"))
    'Amy Shaw'
    """

    def __init__(self, keys: list[str] | tuple[str, ...], index_key: bytes) -> None:
        self._fernet = MultiFernet([Fernet(k) for k in keys])
        self._master = index_key
        self._index_key = derive(index_key, INDEX_LABEL)
        self._mac_key = derive(index_key, LOG_MAC_LABEL)
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

    def encrypt_bytes(self, data: bytes) -> str:
        """A Fernet token (ASCII) of raw bytes: a photo or document in the attachment store."""
        return self._fernet.encrypt(data).decode("ascii")

    def decrypt_bytes(self, token: str) -> bytes:
        try:
            return self._fernet.decrypt(token.encode("ascii"))
        except InvalidToken:
            raise Undecryptable("a stored attachment") from None

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
        """HMAC-SHA256 of the contact log's chain, under the log's own key."""
        return hmac.new(self._mac_key, message, hashlib.sha256).hexdigest()

    def check_value(self, label: str) -> str:
        """HMAC(HUB_INDEX_KEY itself, ``label``): the key check's value, the same before and
        after the keys were split, so it still tells a wrong key in either state."""
        return hmac.new(self._master, label.encode("utf-8"), hashlib.sha256).hexdigest()

    def undivided(self) -> FieldCipher:
        """This cipher as it was before the keys were split: keyed hashes and the log's MAC
        both under HUB_INDEX_KEY itself (to read and move data written then)."""
        old = copy.copy(self)
        old._index_key = old._mac_key = self._master
        return old


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


class EncryptedBytes(Encrypted):
    """Raw bytes stored as one Fernet token (text); a subclass of :class:`Encrypted`, so
    ``hub rotate-keys`` re-encrypts it with every other field. Never remembered."""

    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        return None if value is None else active().encrypt_bytes(bytes(value))

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        return None if value is None else active().decrypt_bytes(value)
