"""Response times: from a contact's arrival to its first page, its acknowledgement and its
resolution, as median and 90th percentile by ISO week (the practice's calendar) and by
staff member.

A contact counts toward a measure once that moment happened; one still open counts only
toward what it reached. By staff member: the first page goes to whoever it paged first,
the acknowledgement and the resolution to whoever gave them. Percentiles interpolate
between the two nearest values (as PostgreSQL's ``percentile_cont`` does), so the figures
do not depend on the database.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import DateTime, func, select, type_coerce
from sqlalchemy.orm import Session

from hub.models import Contact, Page

MEASURES = {"page": "to first page", "ack": "to acknowledgement", "resolve": "to resolution"}


def percentile(values: list[float], fraction: float) -> float:
    """The ``fraction`` percentile of sorted ``values`` by linear interpolation."""
    if not values:
        raise ValueError("no values")
    where = (len(values) - 1) * fraction
    low = int(where)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (where - low)


@dataclass(frozen=True)
class Figure:
    """One measure over a group of contacts, in minutes."""

    count: int
    median: float | None
    p90: float | None

    @classmethod
    def of(cls, seconds: Iterable[float]) -> Figure:
        minutes = sorted(s / 60 for s in seconds)
        if not minutes:
            return cls(0, None, None)
        return cls(len(minutes), percentile(minutes, 0.5), percentile(minutes, 0.9))


@dataclass(frozen=True)
class Row:
    """A week or a staff member, with one Figure per measure."""

    key: str  # "2026-W48" or the staff id
    label: str
    since: date | None  # the week's days, for links to its contacts
    until: date | None
    figures: dict[str, Figure]


class Timing(NamedTuple):
    """One contact's moments, as seconds after its arrival, and who took each (a tuple: a
    quarter holds tens of thousands)."""

    week: tuple[int, int]
    page: tuple[float, int] | None
    ack: tuple[float, int | None] | None
    resolve: tuple[float, int | None] | None


def _raw(column):  # type: ignore[no-untyped-def]
    """The column as the database holds it (naive UTC): a quarter's rows skip re-attaching
    UTC to every value, and their differences are the same."""
    return type_coerce(column, DateTime())


def timings(session: Session, start: datetime, end: datetime, tz: ZoneInfo) -> list[Timing]:
    """The contacts received in [start, end) with their first page, ack and resolution."""
    in_range = (Contact.received_at >= start, Contact.received_at < end)
    first = (select(Page.contact_id, func.min(Page.created_at).label("at"))
             .join(Contact, Contact.id == Page.contact_id).where(*in_range)
             .group_by(Page.contact_id).subquery())
    first_staff: dict[int, tuple[datetime, int]] = {}
    for contact_id, at, staff_id in session.execute(
            select(Page.contact_id, _raw(Page.created_at), Page.staff_id)
            .join(first, (first.c.contact_id == Page.contact_id) & (first.c.at == Page.created_at))
            .order_by(Page.id)):
        first_staff.setdefault(contact_id, (at, staff_id))
    found = []
    for cid, received, ack_at, ack_by, done_at, done_by in session.execute(
            select(Contact.id, _raw(Contact.received_at), _raw(Contact.acknowledged_at),
                   Contact.acknowledged_by_id, _raw(Contact.resolved_at), Contact.resolved_by_id)
            .where(*in_range)):
        iso = received.replace(tzinfo=UTC).astimezone(tz).isocalendar()
        paged = first_staff.get(cid)
        found.append(Timing(
            (iso.year, iso.week),
            ((paged[0] - received).total_seconds(), paged[1]) if paged else None,
            ((ack_at - received).total_seconds(), ack_by) if ack_at else None,
            ((done_at - received).total_seconds(), done_by) if done_at else None))
    return found


def one_measure(session: Session, start: datetime, end: datetime, tz: ZoneInfo,
                measure: str) -> list[Row]:
    """By week, one measure only (a chart): two columns of the contacts that reached it,
    no staff, no other moments."""
    received = _raw(Contact.received_at)
    if measure == "page":
        query = (select(received, func.min(_raw(Page.created_at)))
                 .join(Page, Page.contact_id == Contact.id).group_by(Contact.id, received))
    else:
        moment = Contact.acknowledged_at if measure == "ack" else Contact.resolved_at
        query = select(received, _raw(moment)).where(moment.is_not(None))
    weeks: dict[tuple[int, int], list[float]] = defaultdict(list)
    for arrived, reached in session.execute(
            query.where(Contact.received_at >= start, Contact.received_at < end)):
        iso = arrived.replace(tzinfo=UTC).astimezone(tz).isocalendar()
        weeks[(iso.year, iso.week)].append((reached - arrived).total_seconds())
    return [Row(f"{year}-W{week:02d}", f"{year}-W{week:02d}",
                date.fromisocalendar(year, week, 1), date.fromisocalendar(year, week, 7),
                {measure: Figure.of(seconds)}) for (year, week), seconds in sorted(weeks.items())]


def _figures(group: list[Timing]) -> dict[str, Figure]:
    return {name: Figure.of(getattr(t, name)[0] for t in group if getattr(t, name))
            for name in MEASURES}


def by_week(found: list[Timing]) -> list[Row]:
    """One row per ISO week that had contacts, oldest first."""
    weeks: dict[tuple[int, int], list[Timing]] = defaultdict(list)
    for timing in found:
        weeks[timing.week].append(timing)
    rows = []
    for (year, week), group in sorted(weeks.items()):
        monday = date.fromisocalendar(year, week, 1)
        rows.append(Row(f"{year}-W{week:02d}", f"{year}-W{week:02d}", monday,
                        monday + timedelta(days=6), _figures(group)))
    return rows


def by_staff(found: list[Timing], names: dict[int, str]) -> list[Row]:
    """One row per staff member who was paged first, acknowledged or resolved, by name."""
    seconds: dict[int, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for timing in found:
        for name in MEASURES:
            moment = getattr(timing, name)
            if moment is not None and moment[1] is not None:
                seconds[moment[1]][name].append(moment[0])
    rows = [Row(str(sid), names.get(sid, f"staff {sid}"), None, None,
                {name: Figure.of(per[name]) for name in MEASURES})
            for sid, per in seconds.items()]
    return sorted(rows, key=lambda row: row.label)
