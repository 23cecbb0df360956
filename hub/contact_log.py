"""Append to, verify and read the tamper-evident contact log.

Each entry's mac is HMAC(index key, previous mac + the entry's canonical plaintext). The mac
covers plaintext, not ciphertext, so re-encrypting under a new key (rotate-keys) leaves the
chain intact, while any change to an entry's meaning, order or presence breaks it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Text, select, type_coerce
from sqlalchemy.orm import Session

from hub.crypto import FieldCipher, active
from hub.models import LogEntry, LogHead, utcnow


def _canonical(seq: int, at: datetime, event: str, contact_id: int | None, actor: str | None,
               detail: str) -> bytes:
    return json.dumps(
        [seq, at.isoformat(timespec="microseconds"), event, contact_id, actor, detail],
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode("utf-8")


def _locked_head(session: Session) -> LogHead:
    """The log head, locked for this transaction: read once, then reused by later appends.

    The lock serializes appenders (the chain has one order); remembering the locked row for
    the rest of the transaction spares a round trip per entry.
    """
    transaction = session.get_transaction()
    held = session.info.get("log_head")
    if held is not None and held[0] is transaction:
        return held[1]  # type: ignore[no-any-return]
    head = session.scalars(
        select(LogHead).where(LogHead.id == 1).with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    session.info["log_head"] = (transaction, head)
    return head


def append(session: Session, event: str, *, contact_id: int | None = None,
           actor: str | None = "system", detail: dict[str, Any] | None = None,
           at: datetime | None = None) -> LogEntry:
    """Add one entry in the caller's transaction, chained after the current head."""
    head = _locked_head(session)
    at = at or utcnow()
    detail_json = json.dumps(detail or {}, sort_keys=True, ensure_ascii=False, default=str)
    seq = head.seq + 1
    mac = active().mac(head.mac.encode() + b"\n"
                       + _canonical(seq, at, event, contact_id, actor, detail_json))
    entry = LogEntry(seq=seq, at=at, event=event, contact_id=contact_id, actor=actor,
                     detail=detail_json, mac=mac)
    session.add(entry)
    head.seq, head.mac = seq, mac
    session.flush()
    return entry


@dataclass(frozen=True)
class Break:
    """Where the chain stops holding, and why (no patient data in ``reason``)."""

    seq: int
    reason: str


def verify(session: Session, cipher: FieldCipher | None = None) -> tuple[int, Break | None]:
    """Check every entry; return (entries checked, the first break or None)."""
    cipher = cipher or active()
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
                return checked, Break(seq, f"entry {seq}: detail does not decrypt")
            computed = cipher.mac(previous_mac.encode() + b"\n"
                                  + _canonical(seq, at, event, contact_id, actor, detail))
            if computed != mac:
                return checked, Break(seq, f"entry {seq} ({event}) was altered")
            previous_mac, expected_seq, checked = mac, seq + 1, checked + 1
    head = session.get(LogHead, 1)
    if head is None or head.seq != checked or head.mac != previous_mac:
        return checked, Break(checked + 1, f"entries after {checked} were removed")
    return checked, None


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
