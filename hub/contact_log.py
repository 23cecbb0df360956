"""Append to, verify and read the tamper-evident contact log.

Each entry's mac is HMAC(the log's key, previous mac + the entry's canonical plaintext). The
mac covers plaintext, not ciphertext, so re-encrypting under a new key (rotate-keys) leaves the
chain intact, while any change to an entry's meaning, order or presence breaks it. Entries
written before the keys were split keep their MACs under HUB_INDEX_KEY itself
(:class:`~hub.models.KeySplit`). Removing the last entries together with the head is seen
against a checkpoint kept outside the database (:mod:`hub.log_anchor`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Text, select, type_coerce, update
from sqlalchemy.orm import Session

from hub import event_lines
from hub.crypto import FieldCipher, Sealed, active
from hub.db import insert_rows
from hub.log_anchor import Checkpoint
from hub.models import KeySplit, LogEntry, LogHead, utcnow


def _canonical(seq: int, at: datetime, event: str, contact_id: int | None, actor: str | None,
               detail: str) -> bytes:
    return json.dumps(
        [seq, at.isoformat(timespec="microseconds"), event, contact_id, actor, detail],
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode("utf-8")


def chain_mac(cipher: FieldCipher, previous_mac: str, seq: int, at: datetime, event: str,
              contact_id: int | None, actor: str | None, detail: str) -> str:
    """An entry's MAC: HMAC(log key, the previous entry's MAC + its canonical plaintext)."""
    return cipher.mac(previous_mac.encode() + b"\n"
                      + _canonical(seq, at, event, contact_id, actor, detail))


def undivided_until(conn: Connection | Session) -> int | None:
    """The last entry MACed under HUB_INDEX_KEY itself (0: none); None while the split of the
    keys is pending, when every keyed hash and MAC is still under it."""
    row = conn.execute(select(KeySplit.split_at, KeySplit.log_undivided_until)
                       .where(KeySplit.id == 1)).first()
    if row is None:
        return 0
    return None if row.split_at is None else int(row.log_undivided_until or 0)


def chain_keys(conn: Connection | Session, cipher: FieldCipher
               ) -> Callable[[int], FieldCipher]:
    """seq -> the cipher whose key MACed that entry."""
    until, old = undivided_until(conn), cipher.undivided()
    if until is None:
        return lambda seq: old
    return lambda seq: old if seq <= until else cipher


_HEAD = select(LogHead.seq, LogHead.mac).where(LogHead.id == 1).with_for_update()
_ADVANCE = update(LogHead).where(LogHead.id == 1)


def locked_head(conn: Connection) -> list[Any]:
    """[transaction, seq, mac] of the log head, locked for this transaction.

    The lock serializes appenders (the chain has one order). It is read once per transaction
    and then kept here, so further entries in the same transaction cost no extra round trip.
    """
    transaction = conn.get_transaction()
    held = conn.info.get("log_head")
    if held is not None and held[0] is transaction:
        return held  # type: ignore[no-any-return]
    seq, mac = conn.execute(_HEAD).one()
    held = [transaction, seq, mac]
    conn.info["log_head"] = held
    return held


@dataclass(frozen=True)
class Entry:
    """One event to append (``at`` defaults to the moment it is written).

    ``alike``: the detail holds only what the hub's own rows already show in clear (a step
    paged: its number, the staff ids, channels and wait are in the pages, outbound rows and
    timers), so entries appended together with the same detail may share one ciphertext
    (:class:`~hub.crypto.Sealed`). Any detail that could say something about a patient gets
    a fresh token.
    """

    event: str
    contact_id: int | None = None
    actor: str | None = "system"
    detail: dict[str, Any] | None = None
    at: datetime | None = None
    alike: bool = False


def append_all(conn: Connection, entries: Sequence[Entry]) -> int:
    """Add entries in order in the connection's transaction, chained after the head, with one
    insert and one head update for all of them; return the last seq."""
    head = locked_head(conn)
    if not entries:
        return int(head[1])
    cipher, seq, mac = active(), head[1], head[2]
    rows = []
    sealed: dict[str, Sealed] = {}
    for entry in entries:
        at = entry.at or utcnow()
        detail_json = json.dumps(entry.detail or {}, sort_keys=True, ensure_ascii=False,
                                 default=str)
        seq += 1
        mac = chain_mac(cipher, mac, seq, at, entry.event, entry.contact_id, entry.actor,
                        detail_json)
        stored: str = detail_json
        if entry.alike:
            if detail_json not in sealed:
                sealed[detail_json] = cipher.seal(detail_json)
            stored = sealed[detail_json]
        rows.append({"seq": seq, "at": at, "event": entry.event, "contact_id": entry.contact_id,
                     "actor": entry.actor, "detail": stored, "mac": mac})
    insert_rows(conn, LogEntry, rows)
    conn.execute(_ADVANCE, {"seq": seq, "mac": mac})
    event_lines.remember(conn, rows)
    head[1], head[2] = seq, mac
    return int(seq)


def append_to(conn: Connection, event: str, *, contact_id: int | None = None,
              actor: str | None = "system", detail: dict[str, Any] | None = None,
              at: datetime | None = None) -> int:
    """Add one entry in the connection's transaction, chained after the head; return its seq."""
    return append_all(conn, [Entry(event, contact_id, actor, detail, at)])


def append(session: Session, event: str, *, contact_id: int | None = None,
           actor: str | None = "system", detail: dict[str, Any] | None = None,
           at: datetime | None = None) -> int:
    """:func:`append_to` in a session's transaction (its pending rows flushed first)."""
    session.flush()
    return append_to(session.connection(), event, contact_id=contact_id, actor=actor,
                     detail=detail, at=at)


@dataclass(frozen=True)
class Break:
    """Where the chain stops holding, and why (no patient data in ``reason``)."""

    seq: int
    reason: str


def verify(session: Session, cipher: FieldCipher | None = None,
           anchor: Checkpoint | None = None) -> tuple[int, Break | None]:
    """Check every entry, and the head; with ``anchor``, that the log still holds the entry
    that checkpoint saw. Return (entries checked, the first break or None).

    Run it in one snapshot (:func:`hub.db.read_snapshot`): entries and head read at different
    moments would differ by any append between them. Read ``anchor`` before the snapshot
    starts, so that it never sees further than the snapshot does.
    """
    cipher = cipher or active()
    key_for = chain_keys(session, cipher)
    anchored_mac: str | None = None
    previous_mac, expected_seq, checked = "", 1, 0
    rows = session.execute(
        select(LogEntry.seq, LogEntry.at, LogEntry.event, LogEntry.contact_id, LogEntry.actor,
               type_coerce(LogEntry.__table__.c.detail, Text).label("raw"), LogEntry.mac)
        .order_by(LogEntry.seq)
        .execution_options(yield_per=2000)
    )
    with rows:
        for seq, at, event, contact_id, actor, raw, mac in rows:
            if seq != expected_seq:
                return checked, Break(expected_seq, f"entry {expected_seq} is missing")
            try:
                detail = cipher.decrypt(raw) if raw is not None else ""
            except Exception:  # an undecryptable detail is a broken entry, not a crash
                # The keys are the database's (checked at start), so the entry was altered or
                # written under a key since taken out of the setting.
                return checked, Break(seq, f"entry {seq}: detail does not decrypt with "
                                           "HUB_ENCRYPTION_KEYS (altered, or written under a "
                                           "key no longer in it)")
            computed = chain_mac(key_for(seq), previous_mac, seq, at, event, contact_id, actor,
                                 detail)
            if computed != mac:
                return checked, Break(seq, f"entry {seq} ({event}) was altered")
            if anchor is not None and seq == anchor.seq:
                anchored_mac = mac
            previous_mac, expected_seq, checked = mac, seq + 1, checked + 1
    head = session.execute(select(LogHead.seq, LogHead.mac).where(LogHead.id == 1)).first()
    if head is None or head.seq != checked or head.mac != previous_mac:
        return checked, Break(checked + 1, f"entries after {checked} were removed")
    if anchor is not None:
        return checked, _against(anchor, checked, anchored_mac)
    return checked, None


def _against(anchor: Checkpoint, checked: int, anchored_mac: str | None) -> Break | None:
    """The break the checkpoint shows, if any, in a log whose chain holds up to ``checked``."""
    when = anchor.at.strftime("%Y-%m-%d %H:%M UTC")
    if checked < anchor.seq:
        missing = (f"entry {anchor.seq}" if checked + 1 == anchor.seq
                   else f"entries {checked + 1}-{anchor.seq}")
        return Break(checked + 1, f"{missing} missing after checkpoint of {when} (it saw the "
                                  f"log at entry {anchor.seq}; the database ends at {checked})")
    if anchored_mac != anchor.mac:
        return Break(anchor.seq, f"entry {anchor.seq} is not the one the checkpoint of {when} "
                                 "saw: the log was rewritten from there or before")
    return None


def entries(session: Session, since: datetime | None, until: datetime | None
            ) -> Iterator[dict[str, Any]]:
    """Decrypted entries in order, for the manager's export."""
    query = select(LogEntry).order_by(LogEntry.seq)
    if since is not None:
        query = query.where(LogEntry.at >= since)
    if until is not None:
        query = query.where(LogEntry.at < until)
    for entry in session.scalars(query.execution_options(yield_per=1000)):
        yield {
            "seq": entry.seq,
            "at": entry.at.isoformat(),
            "event": entry.event,
            "contact_id": entry.contact_id,
            "actor": entry.actor,
            "detail": json.loads(entry.detail),
        }
