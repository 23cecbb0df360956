"""Move a database's keyed hashes from HUB_INDEX_KEY itself to the derived index key, once.

Migration 0017 cannot do it (migrations hold no keys): it leaves a pending
:class:`~hub.models.KeySplit` row in a database that held data, and the first process to
start runs :func:`split_once` after the key check has confirmed its keys are the database's
(so a wrong key never rewrites anything). In one transaction: each phone number and birth date
is decrypted and hashed again under the derived key; a STOP, kept by hash only, moves with the
number the hub knows it by; the log's entries so far keep their MACs (the head's seq is noted)
and a ``keys.split`` entry, the first under the log's own key, records what moved.
"""

from __future__ import annotations

from typing import Any

from cryptography.fernet import InvalidToken
from sqlalchemy import Connection, Text, bindparam, select, type_coerce, update

from hub import contact_log
from hub.crypto import FieldCipher
from hub.models import (
    Caregiver,
    Contact,
    KeySplit,
    Patient,
    PatientPhone,
    Staff,
    TextOptOut,
    utcnow,
)

BIRTH = "birth-date:"  # as hub.models.people.birth_date_index hashes a date
# (model, the encrypted column, its keyed hash, the prefix hashed before the value)
HASHED: tuple[tuple[Any, Any, Any, str], ...] = (
    (Staff, Staff.phone, Staff.phone_index, ""),
    (PatientPhone, PatientPhone.phone, PatientPhone.phone_index, ""),
    (Caregiver, Caregiver.phone, Caregiver.phone_index, ""),
    (Contact, Contact.from_number, Contact.from_index, ""),
    (Patient, Patient.birth_date, Patient.birth_index, BIRTH),
)


def split_once(conn: Connection, cipher: FieldCipher) -> dict[str, int] | None:
    """Move a pending database to the derived keys in the connection's transaction; return
    what moved, or None when there was nothing pending (another process may have done it)."""
    pending = conn.execute(select(KeySplit.id).where(KeySplit.id == 1,
                                                     KeySplit.split_at.is_(None))
                           .with_for_update()).first()
    if pending is None:
        return None
    old = cipher.undivided()
    moved: dict[str, int] = {}
    renamed: dict[str, str] = {}  # a number's old hash -> its new one
    for model, source, index, prefix in HASHED:
        (key,) = model.__table__.primary_key.columns
        changes = []
        rows = conn.execute(select(key, type_coerce(source, Text), index)
                            .where(source.is_not(None), index.is_not(None)))
        for row_id, token, stored in rows:
            try:
                value = prefix + cipher.decrypt(token)
            except InvalidToken:
                continue  # unreadable under every key: its hash cannot be made again
            if prefix == "":
                renamed[old.blind_index(value)] = cipher.blind_index(value)
            changes.append({"row": row_id, "new": cipher.blind_index(value)})
        _set(conn, model, key, index, changes)
        moved[model.__tablename__] = len(changes)
    stops = conn.execute(select(TextOptOut.id, TextOptOut.phone_index)).all()
    opt_outs = [{"row": row_id, "new": renamed[stored]} for row_id, stored in stops
                if stored in renamed]
    _set(conn, TextOptOut, TextOptOut.id, TextOptOut.phone_index, opt_outs)
    moved["text_opt_outs"] = len(opt_outs)
    # A number no row names any more: the hub has no one left to text there.
    moved["text_opt_outs_of_unknown_numbers"] = len(stops) - len(opt_outs)
    head = contact_log.locked_head(conn)
    conn.execute(update(KeySplit).where(KeySplit.id == 1)
                 .values(split_at=utcnow(), log_undivided_until=head[1]))
    moved["log_entries_kept"] = int(head[1])
    contact_log.append_to(conn, "keys.split", detail=moved)
    return moved


def _set(conn: Connection, model: Any, key: Any, index: Any, changes: list[dict[str, Any]]
         ) -> None:
    if changes:
        conn.execute(update(model.__table__).where(key == bindparam("row"))
                     .values({index.key: bindparam("new")}), changes)
