"""Who asked for no more texts: record STOP and START by the number's keyed hash, and read
it back for the webhook, the dispatcher and the care team's pages."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select, update
from sqlalchemy.orm import Session

from hub.db import insert_unless_duplicate, rows_changed
from hub.models import Caregiver, PatientPhone, TextOptOut


def record(session: Session, index: str, opted_out: bool, keyword: str, now: datetime) -> bool:
    """Note the number's answer; False when it changes nothing (a second STOP)."""
    conn = session.connection()
    inserted = conn.execute(
        insert_unless_duplicate(conn, TextOptOut, "phone_index", returning=TextOptOut.id),
        {"phone_index": index, "opted_out": opted_out, "keyword": keyword, "changed_at": now})
    if inserted.first() is not None:
        return True
    return rows_changed(session, update(TextOptOut).where(
        TextOptOut.phone_index == index, TextOptOut.opted_out.is_not(opted_out))
        .values(opted_out=opted_out, keyword=keyword, changed_at=now)) == 1


def opted_out(conn: Connection | Session, indexes: Iterable[str]) -> set[str]:
    """Which of these numbers (keyed hashes) take no texts now."""
    wanted = list(set(indexes))
    if not wanted:
        return set()
    return set(conn.execute(select(TextOptOut.phone_index).where(
        TextOptOut.phone_index.in_(wanted), TextOptOut.opted_out.is_(True))).scalars())


@dataclass(frozen=True)
class OptedOut:
    """One of a patient's numbers (or a caregiver's) that takes no texts, for the staff pages."""

    whose: str  # "the patient" or the caregiver's name
    keyword: str
    since: datetime


def for_patient(session: Session, patient_id: int) -> list[OptedOut]:
    """The patient's numbers and their caregivers' that asked for no more texts."""
    whose: dict[str, str] = {}
    for phone in session.scalars(select(PatientPhone).where(
            PatientPhone.patient_id == patient_id)):
        whose.setdefault(phone.phone_index, "the patient")
    for caregiver in session.scalars(select(Caregiver).where(
            Caregiver.patient_id == patient_id, Caregiver.phone_index.is_not(None))):
        whose.setdefault(caregiver.phone_index or "", caregiver.name or "a caregiver")
    if not whose:
        return []
    rows = session.scalars(select(TextOptOut).where(
        TextOptOut.phone_index.in_(list(whose)), TextOptOut.opted_out.is_(True)))
    return [OptedOut(whose[row.phone_index], row.keyword, row.changed_at) for row in rows]
