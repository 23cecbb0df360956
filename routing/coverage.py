"""Coverage: the stretches of the coming days when the line could not page as it should.

A gap is time with no active primary on call, or with someone on call (any layer) who is
inactive, has no phone, or whose number is known to refuse pages (the dispatcher logged
``contact_method.broken`` and the last SMS page to that same number failed). Rotations,
overrides, swaps and calendar shifts all count, through :mod:`routing.roster`.

:func:`alert_managers` is the scheduler tick's duty: once an hour (claimed in the database,
so one process does it; the first turn an hour after the first tick), it texts the managers
about gaps in the next 14 days that they have not been told of in the last day.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hub import contact_log, outbox
from hub.duties import claim_duty
from hub.models import LogEntry, Outbound, ScheduleCalendar, Staff
from routing.roster import OnCall
from routing.schedule_store import spans_between

KINDS = ("no_primary", "no_phone", "broken_phone", "inactive")
ALERT_DUTY = "coverage_alert"
ALERT_EVERY = timedelta(hours=1)
ALERT_DAYS = 14
ALERT_AGAIN_AFTER = timedelta(days=1)


@dataclass(frozen=True)
class Person:
    """What coverage needs to know of a staff member."""

    name: str
    active: bool
    has_phone: bool
    broken_code: int | None = None  # the Twilio error of a number known to refuse pages


@dataclass(frozen=True)
class Gap:
    """A stretch of time when the line could not page as it should."""

    start: datetime
    end: datetime
    kind: str  # one of KINDS
    what: str  # as the manager reads it (may name staff, never patients)
    staff_id: int | None = None


@dataclass(frozen=True)
class Expansion:
    """A calendar whose recurring events became shifts only until ``until`` (``days`` ahead
    of its import) although it holds later ones: a gap after ``until`` may be no gap."""

    calendar: str
    until: datetime
    days: int


def short_expansions(session: Session, end: datetime) -> list[Expansion]:
    """The calendars expanded only until before ``end`` that hold events beyond."""
    rows = session.scalars(select(ScheduleCalendar).where(
        ScheduleCalendar.events_after.is_(True), ScheduleCalendar.expanded_until < end)
        .order_by(ScheduleCalendar.expanded_until, ScheduleCalendar.name))
    return [Expansion(row.name, row.expanded_until,
                      round((row.expanded_until - row.imported_at) / timedelta(days=1)))
            for row in rows]


# The managers' SMS about gaps in the next ``days`` days (messages.texts.coverage_alert).
AlertWording = Callable[[Sequence[Gap], int], str]


def _merge(spans: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _trouble(person: Person, layer: str) -> tuple[str, str] | None:
    if not person.active:
        return "inactive", f"{person.name} ({layer}) is inactive"
    if not person.has_phone:
        return "no_phone", f"{person.name} ({layer}) has no phone"
    if person.broken_code is not None:
        return "broken_phone", (f"{person.name} ({layer}): the number refuses pages "
                                f"(Twilio {person.broken_code})")
    return None


def coverage_gaps(spans: Sequence[OnCall], people: Mapping[int, Person], start: datetime,
                  end: datetime) -> list[Gap]:
    """Gaps in [start, end), each merged into continuous ranges, in time order (pure)."""
    found: dict[tuple[str, int, str], list[tuple[datetime, datetime]]] = defaultdict(list)
    primary = []
    for span in spans:
        window = (max(span.start, start), min(span.end, end))
        person = people.get(span.staff_id)
        if window[0] >= window[1] or person is None:
            continue
        trouble = _trouble(person, span.layer)
        if trouble is not None:
            found[(trouble[0], span.staff_id, trouble[1])].append(window)
        if span.layer == "primary" and person.active:
            primary.append(window)
    cursor = start
    for covered_from, covered_to in [*_merge(primary), (end, end)]:
        if covered_from > cursor:
            found[("no_primary", 0, "no primary on call")].append((cursor, covered_from))
        cursor = max(cursor, covered_to)
    gaps = [Gap(s, e, kind, what, staff_id or None) for (kind, staff_id, what), ranges
            in found.items() for s, e in _merge(ranges)]
    return sorted(gaps, key=lambda gap: (gap.start, gap.end, gap.what))


def broken_numbers(session: Session, staff_ids: Iterable[int]) -> dict[int, int | None]:
    """Staff whose current number is known to refuse pages: {staff id: Twilio error code}.

    Known from the log's ``contact_method.broken`` entries, and still true only while the
    last SMS page to that person failed and went to the number they have now (a fixed number
    or a later page that went through clears it)."""
    wanted = set(staff_ids)
    codes: dict[int, int | None] = {}
    for detail in session.scalars(select(LogEntry.detail)
                                  .where(LogEntry.event == "contact_method.broken")):
        entry = json.loads(detail)
        if entry.get("staff_id") in wanted:
            codes[entry["staff_id"]] = entry.get("code")
    broken = {}
    for staff_id, code in codes.items():
        last = session.scalars(
            select(Outbound).where(Outbound.staff_id == staff_id, Outbound.kind == "page",
                                   Outbound.channel == "sms",
                                   Outbound.status.in_(("sent", "delivered", "failed")))
            .order_by(Outbound.id.desc()).limit(1)).first()
        person = session.get(Staff, staff_id)
        if (last is not None and last.status == "failed" and person is not None
                and last.to_number == person.phone):
            broken[staff_id] = code
    return broken


def find_gaps(session: Session, start: datetime, end: datetime) -> tuple[list[Gap], int]:
    """The gaps in [start, end) from the database, and how many on-call spans were checked."""
    spans = spans_between(session, start, end)
    ids = {s.staff_id for s in spans}
    staff = list(session.scalars(select(Staff).where(Staff.id.in_(ids)))) if ids else []
    broken = broken_numbers(session, ids)
    people = {p.id: Person(p.name, p.active, bool((p.phone or "").strip()), broken.get(p.id))
              for p in staff}
    in_window = [s for s in spans if s.start < end and start < s.end]
    return coverage_gaps(in_window, people, start, end), len(in_window)


# --- the managers' alert ---------------------------------------------------------------------

def _key(gap: Gap, start: datetime, end: datetime) -> str:
    """The same gap on every check: a bound the window cut is not part of its identity."""
    since = gap.start.isoformat() if gap.start > start else "open"
    until = gap.end.isoformat() if gap.end < end else "open"
    return f"{gap.kind}/{gap.staff_id or 0}/{since}/{until}"


def tell_managers(session: Session, gaps: Sequence[Gap], now: datetime, end: datetime,
                  body: Callable[[Sequence[Gap]], str], event: str,
                  again_after: timedelta, told_by: tuple[str, ...] = ()) -> int:
    """Text the managers ``body(new)`` about the gaps not told of (``event``, or one of
    ``told_by``, in the log) in the last ``again_after``, and log each as ``event``; return
    how many were new."""
    told = set()
    for detail in session.scalars(select(LogEntry.detail).where(
            LogEntry.event.in_((event, *told_by)), LogEntry.at > now - again_after)):
        told.add(json.loads(detail).get("key"))
    new = [g for g in gaps if _key(g, now, end) not in told]
    if not new:
        return 0
    managers = outbox.alert_managers(session, body(new), now)
    for gap in new:
        contact_log.append(session, event, at=now, detail={
            "key": _key(gap, now, end), "kind": gap.kind, "staff_id": gap.staff_id,
            "from": gap.start.isoformat(), "until": gap.end.isoformat(),
            "managers_texted": managers})
    return len(new)


def alert_managers(sessions: sessionmaker[Session], now: datetime, wording: AlertWording,
                   days: int = ALERT_DAYS) -> int:
    """The tick's duty: text the managers about gaps they were not told of in the last day
    (the text is ``wording(gaps, days)``, the edge's).

    Returns how many gaps were alerted (0 when it was not this process's turn)."""
    with sessions.begin() as session:
        if not claim_duty(session, ALERT_DUTY, now, ALERT_EVERY):
            return 0
        end = now + timedelta(days=days)
        gaps, _ = find_gaps(session, now, end)
        return tell_managers(session, gaps, now, end, lambda new: wording(new, days),
                             "coverage.alerted", ALERT_AGAIN_AFTER)
