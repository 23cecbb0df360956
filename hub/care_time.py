"""Care-management time: record the minutes staff give, and total them by calendar month.

Where the time comes from:

- a callback through the practice line (:mod:`messages.callback_call`): measured, the
  seconds the patient (or caregiver) was connected, as Twilio reports them
  (DialCallDuration: the nurse's phone ringing and the connecting words are not counted);
- otherwise the staff member says so when resolving a contact (``RESOLVE 1234 15`` by SMS,
  the contact page's form) or later on the contact page.

Nothing is assumed when no minutes are given: the time between acknowledging and resolving
is not care time (the nurse may have slept, or handled five other pages), and CMS counts
only time actually spent, documented. Paging calls (a staff member hearing a page) and a
caller leaving voicemail are not staff time with the patient, so they count for nothing.

Staff type follows Staff.role when the time is recorded: a physician's time is physician
time; nurses' and care managers' is clinical staff time; anyone else's (a practice
manager) is kept and shown but counted toward no CCM code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from hub import contact_log
from hub.models import CareTimeEntry, Contact, Staff

PHYSICIAN_ROLES = {"physician"}
CLINICAL_ROLES = {"nurse", "care_manager"}
# What staff may type in; "call" is only ever measured (a callback through the practice line).
TYPED_SOURCES = {"callback": "callback call", "message review": "message review",
                 "coordination": "care coordination"}
SOURCES = {**TYPED_SOURCES, "call": "call through the practice line",
           "outreach call": "outreach call (its length)",
           "outreach text": "outreach text exchange"}
MAX_MINUTES = 240  # one entry; more is far likelier a typo than a night's work
# CPT time thresholds, minutes in the calendar month.
CCM_99490 = 20  # clinical staff (the billing practitioner's time counts too)
CCM_99487 = 60  # complex CCM: the time part only; complexity is the physician's call
CCM_99491 = 30  # personally by the physician


class BadMinutes(ValueError):
    """Minutes that are not a whole number from 1 to MAX_MINUTES."""


def staff_type(role: str) -> str:
    """physician | clinical | other."""
    if role in PHYSICIAN_ROLES:
        return "physician"
    return "clinical" if role in CLINICAL_ROLES else "other"


def parse_minutes(raw: str | int | None) -> int | None:
    """Whole minutes from 1 to 240, None when none were given; BadMinutes otherwise."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    text = str(raw).strip()
    if not text.isdigit() or not 1 <= int(text) <= MAX_MINUTES:
        raise BadMinutes(f"minutes must be a whole number from 1 to {MAX_MINUTES}")
    return int(text)


def add_for_contact(session: Session, contact: Contact, staff: Staff, seconds: int,
                    source: str, now: datetime) -> CareTimeEntry | None:
    """Record ``seconds`` of ``staff``'s time on the contact's patient, audited in the log.

    None (and nothing recorded) when the contact is not filed under one patient: CCM time
    belongs to a patient's month.
    """
    if source not in SOURCES:
        raise ValueError(f"unknown care-time source {source!r}")
    if contact.patient_id is None:
        return None
    entry = CareTimeEntry(patient_id=contact.patient_id, staff_id=staff.id,
                          staff_type=staff_type(staff.role), seconds=seconds,
                          source=source, contact_id=contact.id, at=now)
    session.add(entry)
    session.flush()
    contact_log.append(session, "care_time.added", contact_id=contact.id, at=now,
                       actor=f"staff:{staff.id}", detail={
                           "entry_id": entry.id, "patient_id": entry.patient_id,
                           "staff_type": entry.staff_type, "seconds": seconds,
                           "minutes": round(seconds / 60, 1), "source": source})
    return entry


def for_contact(session: Session, contact_id: int) -> list[CareTimeEntry]:
    """The time recorded on one contact, oldest first."""
    return list(session.scalars(select(CareTimeEntry).where(
        CareTimeEntry.contact_id == contact_id).order_by(CareTimeEntry.at, CareTimeEntry.id)))


def month_bounds(month: str, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """[start, end) of a calendar month ("2026-11") in the practice's time zone."""
    try:
        start = datetime.strptime(month, "%Y-%m").replace(tzinfo=tz)
    except ValueError:
        raise ValueError(f"{month!r} is not a month (YYYY-MM)") from None
    end = (start + timedelta(days=32)).replace(day=1)
    return start, end


@dataclass(frozen=True)
class MonthTime:
    """One patient's month: seconds by staff type, and which CCM time thresholds it meets."""

    patient_id: int
    clinical: int
    physician: int
    other: int

    @property
    def counted_minutes(self) -> int:
        return (self.clinical + self.physician) // 60

    @property
    def meets_99490(self) -> bool:
        return self.counted_minutes >= CCM_99490

    @property
    def meets_99487(self) -> bool:
        return self.counted_minutes >= CCM_99487

    @property
    def meets_99491(self) -> bool:
        return self.physician // 60 >= CCM_99491


def month_totals(session: Session, start: datetime, end: datetime,
                 patient_id: int | None = None) -> list[MonthTime]:
    """Every patient with time in [start, end), or only ``patient_id`` (even with none)."""
    def by_type(kind: str):  # type: ignore[no-untyped-def]
        return func.coalesce(func.sum(case((CareTimeEntry.staff_type == kind,
                                            CareTimeEntry.seconds), else_=0)), 0)

    query = (select(CareTimeEntry.patient_id, by_type("clinical"), by_type("physician"),
                    by_type("other"))
             .where(CareTimeEntry.at >= start, CareTimeEntry.at < end)
             .group_by(CareTimeEntry.patient_id).order_by(CareTimeEntry.patient_id))
    if patient_id is not None:
        query = query.where(CareTimeEntry.patient_id == patient_id)
    rows = [MonthTime(int(p), int(c), int(ph), int(o)) for p, c, ph, o in session.execute(query)]
    if patient_id is not None and not rows:
        rows = [MonthTime(patient_id, 0, 0, 0)]
    return rows
