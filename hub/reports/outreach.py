"""Outreach in the manager's CCM month: how many of each patient's minutes were outreach
(a care manager's outreach calls and text exchanges), what the hub sent and what came back,
and every change of a number's text preference (STOP, START) from the chained log."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.models import CareTimeEntry, LogEntry, Outreach
from hub.outreach_time import SOURCES


def minutes_by_patient(session: Session, start: datetime, end: datetime) -> dict[int, int]:
    """Outreach minutes of each patient in [start, end) (within their CCM minutes)."""
    rows = session.execute(
        select(CareTimeEntry.patient_id, func.sum(CareTimeEntry.seconds))
        .where(CareTimeEntry.at >= start, CareTimeEntry.at < end,
               CareTimeEntry.source.in_(SOURCES))
        .group_by(CareTimeEntry.patient_id))
    return {int(pid): int(seconds) // 60 for pid, seconds in rows}


def outcomes(session: Session, start: datetime, end: datetime) -> dict[str, int]:
    """Outreach due in [start, end) by what became of it (queued = sent, replied...)."""
    return dict(Counter(dict(session.execute(
        select(Outreach.status, func.count(Outreach.id))
        .where(Outreach.due_at >= start, Outreach.due_at < end)
        .group_by(Outreach.status)).all())))


@dataclass(frozen=True)
class Preference:
    """One change of a number's text preference, as the log holds it (no number)."""

    at: datetime
    keyword: str
    opted_out: bool
    patient_ids: list[int]
    caregiver_id: int | None
    staff_id: int | None


def preference_changes(session: Session, start: datetime, end: datetime) -> list[Preference]:
    """STOP and START of [start, end), oldest first."""
    entries = session.scalars(select(LogEntry).where(
        LogEntry.event.in_(("sms.opted_out", "sms.opted_in")), LogEntry.at >= start,
        LogEntry.at < end).order_by(LogEntry.seq))
    changes = []
    for entry in entries:
        detail = json.loads(entry.detail or "{}")
        changes.append(Preference(entry.at, detail.get("keyword", ""),
                                  entry.event == "sms.opted_out",
                                  list(detail.get("patient_ids") or []),
                                  detail.get("caregiver_id"), detail.get("staff_id")))
    return changes
