"""Tell for certain, at start, whether this process holds the database's keys.

A wrong ``HUB_ENCRYPTION_KEYS`` would otherwise show as tracebacks wherever a field is read,
and a wrong ``HUB_INDEX_KEY`` worse: every sender unknown, and the contact log's chain
extended under a key that breaks it. The database keeps one :class:`~hub.models.KeyCheck`
row; :func:`confirm` compares this process's keys with it and raises :class:`WrongKeys`
naming the settings that differ. A database without the row (a new one, or one made before
it was kept) gets it, but only once its own data agrees with the keys: the log's first
entries (each entry's MAC checked from its predecessor's, so one altered entry decides
nothing) and the stored phone numbers with their keyed hashes. A wrong key is never
written down as the right one.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from cryptography.fernet import InvalidToken
from sqlalchemy import Connection, Text, select, type_coerce

from hub.contact_log import chain_keys, chain_mac, undivided_until
from hub.crypto import FieldCipher, Sealed
from hub.db import insert_unless_duplicate
from hub.models import KeyCheck, LogEntry, Patient, PatientPhone, Staff

LABEL = "careline-hub key check 1"
ENCRYPTION = "HUB_ENCRYPTION_KEYS"
INDEX = "HUB_INDEX_KEY"
SAMPLE = 10  # rows of each kind read for evidence when the row is first written


class WrongKeys(Exception):
    """The settings (``ENCRYPTION``, ``INDEX``) whose keys are not the database's."""

    def __init__(self, settings: tuple[str, ...]) -> None:
        super().__init__(", ".join(settings))
        self.settings = settings


def _raw(column: object) -> object:
    return type_coerce(column, Text)  # the stored token, not decrypted on the way out


def confirm(conn: Connection, cipher: FieldCipher) -> None:
    """Raise WrongKeys unless ``cipher``'s keys are the database's; write the check values
    where there are none yet and the data agrees (in the connection's transaction)."""
    row = conn.execute(select(KeyCheck.index_check, _raw(KeyCheck.encryption_check))
                       .where(KeyCheck.id == 1)).first()
    if row is None:
        wrong = _disagreeing(conn, cipher)
        if wrong:
            raise WrongKeys(wrong)
        conn.execute(insert_unless_duplicate(conn, KeyCheck, "id"),
                     {"id": 1, "index_check": index_check(cipher),
                      "encryption_check": Sealed(cipher.encrypt(LABEL))})
        row = conn.execute(select(KeyCheck.index_check, _raw(KeyCheck.encryption_check))
                           .where(KeyCheck.id == 1)).one()  # another process may have won
    stored_index, stored_token = row
    wrong = []
    if not _decrypts(cipher, stored_token, LABEL):
        wrong.append(ENCRYPTION)
    if not hmac.compare_digest(stored_index, index_check(cipher)):
        wrong.append(INDEX)
    if wrong:
        raise WrongKeys(tuple(wrong))


def index_check(cipher: FieldCipher) -> str:
    return cipher.check_value(LABEL)


def _decrypts(cipher: FieldCipher, token: str, expected: str | None = None) -> bool:
    try:
        plain = cipher.decrypt(token)
    except InvalidToken:
        return False
    return expected is None or plain == expected


def _disagreeing(conn: Connection, cipher: FieldCipher) -> tuple[str, ...]:
    """The keys the stored data shows to be wrong (none where there is no data to tell)."""
    tokens = [token for token, in conn.execute(select(_raw(Patient.name)).limit(SAMPLE))]
    entries = conn.execute(select(LogEntry.seq, LogEntry.at, LogEntry.event,
                                  LogEntry.contact_id, LogEntry.actor, _raw(LogEntry.detail),
                                  LogEntry.mac).order_by(LogEntry.seq).limit(SAMPLE)).all()
    phones = [*conn.execute(select(_raw(PatientPhone.phone), PatientPhone.phone_index)
                            .limit(SAMPLE)),
              *conn.execute(select(_raw(Staff.phone), Staff.phone_index)
                            .where(Staff.phone.is_not(None), Staff.phone_index.is_not(None))
                            .limit(SAMPLE))]
    tokens += [entry[5] for entry in entries] + [token for token, _ in phones]
    if tokens and not any(_decrypts(cipher, token) for token in tokens):
        return (ENCRYPTION,)
    # Keyed hashes are under the undivided key until the split has run (hub.key_split).
    hashing = cipher.undivided() if undivided_until(conn) is None else cipher
    verdicts = [*_chain_verdicts(chain_keys(conn, cipher), entries),
                *_phone_verdicts(hashing, phones)]
    if verdicts and not any(verdicts):
        return (INDEX,)
    return ()


def _chain_verdicts(key_for: Callable[[int], FieldCipher], entries: Iterable[Sequence[Any]]
                    ) -> Iterator[bool]:
    """For each of the log's first entries that decrypts: does its MAC follow from the one
    before it under this index key?"""
    previous = ""
    for seq, at, event, contact_id, actor, token, mac in entries:
        cipher = key_for(seq)
        try:
            detail = cipher.decrypt(token)
        except InvalidToken:
            previous = mac
            continue
        computed = chain_mac(cipher, previous, seq, at, event, contact_id, actor, detail)
        yield hmac.compare_digest(computed, mac)
        previous = mac


def _phone_verdicts(cipher: FieldCipher, phones: Iterable[Sequence[Any]]) -> Iterator[bool]:
    """For each stored number that decrypts: is its keyed hash this index key's?"""
    for token, stored_index in phones:
        try:
            number = cipher.decrypt(token)
        except InvalidToken:
            continue
        yield hmac.compare_digest(cipher.blind_index(number), stored_index)


def explain(wrong: WrongKeys, key_files: Mapping[str, Path]) -> str:
    """One line naming the settings and what to check; ``key_files``: the settings whose key
    was read from (or generated into) the instance folder because they are not set."""
    parts = []
    for setting in wrong.settings:
        if setting in key_files:
            what = ("does not decrypt this database's data" if setting == ENCRYPTION else
                    "is not the one this database's phone lookups and log chain were made with")
            parts.append(f"{setting}: not set, and the key in {key_files[setting]} {what}; "
                         f"set {setting} to the key the data was written with")
        elif setting == ENCRYPTION:
            parts.append(f"{setting}: none of its keys decrypts this database's data; check "
                         "that it holds the key the data was written with (after a rotation "
                         "the old key stays after the new one until `hub rotate-keys` has run)")
        else:
            parts.append(f"{setting}: not the key this database's phone lookups and log chain "
                         "were written with; set the original key (it is never rotated)")
    return "; ".join(parts)
