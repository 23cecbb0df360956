"""Outreach as care-management time: a care manager's outreach call counts its length from
Twilio's status callback (CallDuration); a text exchange counts the minutes its staff member
records. A scheduled text or call the hub makes alone is no staff time and counts nothing.

Entries are care-time rows like any other (:mod:`hub.care_time`), with their own sources, so
the manager's CCM report totals them with the rest and can say how much was outreach.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub import care_time, contact_log
from hub.models import CareTimeEntry, Outbound, Outreach, Staff

SOURCES = ("outreach call", "outreach text")


def _add(session: Session, outreach: Outreach, staff: Staff, seconds: int, source: str,
         now: datetime, actor: str) -> CareTimeEntry:
    entry = CareTimeEntry(patient_id=outreach.patient_id, staff_id=staff.id,
                          staff_type=care_time.staff_type(staff.role), seconds=seconds,
                          source=source, contact_id=outreach.reply_contact_id, at=now)
    session.add(entry)
    session.flush()
    contact_log.append(session, "care_time.added", contact_id=outreach.reply_contact_id, at=now,
                       actor=actor, detail={
                           "entry_id": entry.id, "patient_id": outreach.patient_id,
                           "outreach_id": outreach.id, "staff_type": entry.staff_type,
                           "seconds": seconds, "minutes": round(seconds / 60, 1),
                           "source": source})
    return entry


def call_ended(session: Session, row: Outbound, seconds: int, now: datetime) -> bool:
    """A care manager's outreach call completed: its length is their time with the patient
    (the status callback comes once to a final state, so it is counted once)."""
    outreach = session.scalar(select(Outreach).where(Outreach.outbound_id == row.id))
    if outreach is None or outreach.staff_id is None or seconds <= 0:
        return False
    staff = session.get(Staff, outreach.staff_id)
    assert staff is not None  # a foreign key
    _add(session, outreach, staff, seconds, "outreach call", now, "twilio")
    return True


def add_text_minutes(session: Session, outreach: Outreach, staff: Staff, minutes: int,
                     now: datetime, actor: str) -> CareTimeEntry:
    """Minutes a staff member spent on a text exchange of this outreach (1 to 240)."""
    checked = care_time.parse_minutes(minutes)
    assert checked is not None
    return _add(session, outreach, staff, checked * 60, "outreach text", now, actor)
