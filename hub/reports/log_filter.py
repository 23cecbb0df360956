"""The manager's contact log: the filters a manager gives, and one page of matching contacts.

Filters are plain values read from a query string, so every figure on the manager's pages
can link to the contacts behind it (``/manager/log?staff=3&urgency=urgent``). A page is
read newest first by keyset (``before``: the id of the last contact of the previous page),
so page 200 costs what page 1 does; only the contacts shown are decrypted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.orm import Session, joinedload

from hub.models import Contact, Page, Patient, Timer

CHANNELS = ("sms", "voice", "portal")
URGENCIES = ("routine", "urgent", "emergency")
STATES = ("received", "queued", "paging", "on_call", "acknowledged", "resolved")
OUTCOMES = {"missed": "no one acknowledged before the escalation policy ran out",
            "escalated": "paged beyond the first step"}
PAGE_SIZE = 50


class BadFilter(ValueError):
    """A filter value the log cannot use; the message names the field."""


@dataclass(frozen=True)
class LogFilter:
    """What the manager asked for; every field optional. Dates are the practice's days."""

    since: date | None = None  # first day included
    until: date | None = None  # last day included
    patient: str | None = None  # the patient's opaque reference
    staff: int | None = None  # paged, acknowledged or resolved it
    channel: str | None = None
    urgency: str | None = None
    state: str | None = None
    outcome: str | None = None  # missed | escalated

    def query_args(self, **changes: object) -> dict[str, str]:
        """The query string of this filter (with ``changes``), empty fields left out."""
        values = asdict(replace(self, **changes))  # type: ignore[arg-type]
        return {name: str(value) for name, value in values.items() if value not in (None, "")}


def _choice(args: Mapping[str, str], name: str, allowed: tuple[str, ...]) -> str | None:
    value = (args.get(name) or "").strip()
    if not value:
        return None
    if value not in allowed:
        raise BadFilter(f"{name}: not one of {', '.join(allowed)}")
    return value


def _day(args: Mapping[str, str], name: str) -> date | None:
    value = (args.get(name) or "").strip()
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise BadFilter(f"{name}: not a date (YYYY-MM-DD)") from None
    if not 2000 <= day.year <= 2100:
        raise BadFilter(f"{name}: a date between 2000 and 2100")
    return day


def parse(args: Mapping[str, str]) -> LogFilter:
    """A LogFilter from a query string; BadFilter naming the field that is wrong."""
    staff_raw = (args.get("staff") or "").strip()
    if staff_raw and not staff_raw.isdigit():
        raise BadFilter("staff: a staff id")
    patient = (args.get("patient") or "").strip() or None
    if patient is not None and (len(patient) > 16 or not patient.replace("-", "").replace(
            "_", "").isalnum()):
        raise BadFilter("patient: a patient reference")
    found = LogFilter(_day(args, "since"), _day(args, "until"), patient,
                      int(staff_raw) if staff_raw else None, _choice(args, "channel", CHANNELS),
                      _choice(args, "urgency", URGENCIES), _choice(args, "state", STATES),
                      _choice(args, "outcome", tuple(OUTCOMES)))
    if found.since and found.until and found.until < found.since:
        raise BadFilter("until: before since")
    return found


def day_bounds(since: date | None, until: date | None, tz: ZoneInfo
               ) -> tuple[datetime | None, datetime | None]:
    """[start, end) instants of the practice's days ``since`` to ``until`` included."""
    start = datetime.combine(since, time(), tz) if since else None
    end = datetime.combine(until + timedelta(days=1), time(), tz) if until else None
    return start, end


def conditions(found: LogFilter, tz: ZoneInfo) -> list[ColumnElement[bool]]:
    """The WHERE clauses of a filter on contacts (shared by the log and the reports' links)."""
    where: list[ColumnElement[bool]] = []
    start, end = day_bounds(found.since, found.until, tz)
    if start is not None:
        where.append(Contact.received_at >= start)
    if end is not None:
        where.append(Contact.received_at < end)
    if found.patient is not None:
        where.append(Contact.patient_id == select(Patient.id).where(
            Patient.ref == found.patient).scalar_subquery())
    if found.staff is not None:
        where.append(or_(
            exists().where(Page.contact_id == Contact.id, Page.staff_id == found.staff),
            Contact.acknowledged_by_id == found.staff, Contact.resolved_by_id == found.staff))
    for column, value in ((Contact.channel, found.channel), (Contact.urgency, found.urgency),
                          (Contact.status, found.state)):
        if value is not None:
            where.append(column == value)
    if found.outcome == "escalated":
        where.append(Contact.escalation_step >= 1)
    elif found.outcome == "missed":
        where.append(exists().where(Timer.contact_id == Contact.id,
                                    Timer.outcome == "exhausted"))
    return where


def page(session: Session, found: LogFilter, tz: ZoneInfo, before: int | None = None,
         size: int = PAGE_SIZE) -> tuple[list[Contact], int | None]:
    """Up to ``size`` matching contacts newest first, older than contact ``before``; and the
    id to pass as ``before`` for the next page (None on the last page)."""
    query = select(Contact).where(*conditions(found, tz))
    if before is not None:
        cursor = session.get(Contact, before)
        if cursor is None:
            raise BadFilter("before: no such contact")
        query = query.where(or_(Contact.received_at < cursor.received_at, and_(
            Contact.received_at == cursor.received_at, Contact.id < cursor.id)))
    query = (query.order_by(Contact.received_at.desc(), Contact.id.desc()).limit(size + 1)
             .options(joinedload(Contact.patient), joinedload(Contact.acknowledged_by)))
    rows = list(session.scalars(query).unique())
    more = len(rows) > size
    rows = rows[:size]
    return rows, (rows[-1].id if more and rows else None)
