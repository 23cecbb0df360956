"""Load on-call shifts from an iCalendar file (RFC 5545) into :class:`hub.models.Shift` rows.

Each VEVENT is one on-call assignment. Its occurrences (RRULE, RDATE, EXDATE and RECURRENCE-ID
overrides, expanded by ``recurring_ical_events``) inside a window around ``now`` become shifts
keyed ``UID/start-in-UTC``, so importing the same calendar again changes nothing, and importing
an edited one updates, adds and removes exactly what changed for the events it holds.

    summary = import_schedule(session, path.read_bytes(), tz=settings.tz, now=utcnow())
    session.commit()
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import islice
from typing import Any
from zoneinfo import ZoneInfo

import recurring_ical_events  # type: ignore[import-untyped]  # ships no py.typed
from icalendar import Calendar, Component
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.models import ScheduleCalendar, Shift, Staff

_BACKUP = re.compile(r"\bbackup\b", re.IGNORECASE)
# recurring_ical_events compares floating times as if they were UTC: ask it for a day more on
# each side, then keep what overlaps the real window once everything is in UTC.
_PAD = timedelta(days=1)
_MAX_UID = 400  # the source key (UID + "/" + start) must fit Shift.source_key's 512


class ScheduleImportError(ValueError):
    """The file cannot be read as an on-call calendar; nothing was loaded."""


@dataclass(frozen=True)
class UnmatchedEvent:
    """An event whose occurrences became no shift, and why (shown to whoever imports)."""

    uid: str
    summary: str
    occurrences: int
    reason: str

    def __str__(self) -> str:
        return (f"event {self.uid} ({self.summary or 'no summary'}): {self.reason}; "
                f"{self.occurrences} occurrence(s) skipped")


@dataclass
class ScheduleImportSummary:
    """What one import did: events read, shifts created/updated/unchanged/removed."""

    events: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    unmatched: list[UnmatchedEvent] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """The numbers alone, for the audit log."""
        return {"events": self.events, "created": self.created, "updated": self.updated,
                "unchanged": self.unchanged, "removed": self.removed,
                "unmatched": len(self.unmatched)}

    def __str__(self) -> str:
        text = (f"{self.events} event(s) read: {self.created} shift(s) created, "
                f"{self.updated} updated, {self.unchanged} unchanged, {self.removed} removed")
        if self.unmatched:
            text += f"; {len(self.unmatched)} event(s) skipped"
        return text


@dataclass(frozen=True)
class _Wanted:
    staff_id: int
    layer: str
    starts_at: datetime
    ends_at: datetime


def import_schedule(session: Session, data: bytes | str, *, tz: ZoneInfo, now: datetime,
                    horizon_days: int = 90, source: str | None = None,
                    file_name: str | None = None) -> ScheduleImportSummary:
    """Upsert the calendar's shifts from ``now - 1 day`` to ``now + horizon_days``; flush only.

    ``source`` names the calendar (else its X-WR-CALNAME, else ``file_name``): the shifts not
    yet over of events an earlier import of that calendar held and this one does not are
    removed."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    calendar = _parse(data)
    source = (source or _text(calendar, "X-WR-CALNAME") or file_name or "")[:200] or None
    window_start, window_end = now - timedelta(days=1), now + timedelta(days=horizon_days)
    try:
        occurrences = recurring_ical_events.of(calendar).between(
            window_start - _PAD, window_end + _PAD)
    except Exception as exc:  # a bad RRULE or date surfaces as one of several error types
        raise ScheduleImportError(f"cannot expand the calendar's events: {exc}") from None

    uids = {_text(event, "UID") for event in calendar.walk("VEVENT")}
    directory = _Directory(session.scalars(select(Staff).where(Staff.active.is_(True))).all())
    wanted: dict[str, _Wanted] = {}
    skipped: Counter[tuple[str, str, str]] = Counter()
    for occurrence in occurrences:
        uid, summary = _text(occurrence, "UID"), _text(occurrence, "SUMMARY")
        if _text(occurrence, "STATUS").upper() == "CANCELLED":
            continue
        starts_at = _utc(occurrence["DTSTART"].dt, tz)
        ends_at = _utc(occurrence["DTEND"].dt, tz)
        if not (starts_at < window_end and ends_at > window_start):
            continue
        if not uid or len(uid) > _MAX_UID:
            skipped[(uid[:60], summary, "has no UID" if not uid else "has an overlong UID")] += 1
            continue
        if ends_at <= starts_at:
            skipped[(uid, summary, "has no duration")] += 1
            continue
        staff_id, reason = directory.find(occurrence)
        if staff_id is None:
            skipped[(uid, summary, reason)] += 1
            continue
        wanted[f"{uid}/{starts_at.isoformat()}"] = _Wanted(
            staff_id, _layer(occurrence), starts_at, ends_at)

    result = ScheduleImportSummary(events=len(uids), unmatched=[
        UnmatchedEvent(uid or "(no UID)", text, count, reason)
        for (uid, text, reason), count in skipped.items()
    ])
    _apply(session, wanted, uids - {""}, window_start, window_end, result, source)
    if source is not None:
        _drop_removed_events(session, source, uids, now, result)
        _record_expansion(session, source, now, window_end, _events_after(calendar, window_end,
                                                                          tz))
    session.flush()
    return result


def _events_after(calendar: Calendar, end: datetime, tz: ZoneInfo) -> bool:
    """Whether the calendar holds an occurrence starting at or after ``end``: one the
    expansion left out (looked for among the first few that end after it)."""
    try:
        later = recurring_ical_events.of(calendar).after(end - _PAD)
        return any(_utc(occurrence["DTSTART"].dt, tz) >= end
                   for occurrence in islice(later, 1000))
    except Exception:  # expanding the window worked: say "maybe more" rather than fail
        return True


def _record_expansion(session: Session, source: str, now: datetime, until: datetime,
                      events_after: bool) -> None:
    """Remember how far ahead this calendar was expanded (``hub coverage`` reads it)."""
    row = session.get(ScheduleCalendar, source)
    if row is None:
        row = ScheduleCalendar(name=source)
        session.add(row)
    row.imported_at, row.expanded_until, row.events_after = now, until, events_after


def _drop_removed_events(session: Session, source: str, uids: set[str], now: datetime,
                         summary: ScheduleImportSummary) -> None:
    """An event deleted from the calendar takes its shifts not yet over off the schedule
    (past ones stay: they are the record of who was on call)."""
    for shift in session.scalars(select(Shift).where(Shift.calendar == source,
                                                     Shift.ends_at > now)).all():
        if shift.source_key.rpartition("/")[0] not in uids:
            session.delete(shift)
            summary.removed += 1


def _apply(session: Session, wanted: dict[str, _Wanted], uids: set[str], window_start: datetime,
           window_end: datetime, summary: ScheduleImportSummary, source: str | None) -> None:
    existing = {shift.source_key: shift for shift in _shifts_by_key(session, list(wanted))}
    for key, want in wanted.items():
        shift = existing.get(key)
        if shift is None:
            session.add(Shift(source_key=key, staff_id=want.staff_id, layer=want.layer,
                              starts_at=want.starts_at, ends_at=want.ends_at, calendar=source))
            summary.created += 1
        elif (shift.staff_id, shift.layer, shift.starts_at, shift.ends_at) != (
                want.staff_id, want.layer, want.starts_at, want.ends_at):
            shift.staff_id, shift.layer = want.staff_id, want.layer
            shift.starts_at, shift.ends_at = want.starts_at, want.ends_at
            summary.updated += 1
        else:
            summary.unchanged += 1
        if shift is not None and source is not None:
            shift.calendar = source
    # Shifts of these events in the window that the calendar no longer holds (an EXDATE, a
    # moved or cancelled occurrence, an attendee nobody knows any more) come off the schedule.
    in_window = session.scalars(
        select(Shift).where(Shift.starts_at < window_end, Shift.ends_at > window_start))
    for shift in in_window.all():
        if shift.source_key not in wanted and shift.source_key.rpartition("/")[0] in uids:
            session.delete(shift)
            summary.removed += 1


def _shifts_by_key(session: Session, keys: Sequence[str]) -> Iterable[Shift]:
    for i in range(0, len(keys), 500):  # stay well under SQLite's bound-parameter limit
        yield from session.scalars(select(Shift).where(Shift.source_key.in_(keys[i:i + 500])))


class _Directory:
    """Active staff by lower-cased e-mail, and by full name for summaries."""

    def __init__(self, staff: Sequence[Staff]) -> None:
        self.by_email = {member.email.lower(): member.id for member in staff if member.email}
        self.names = [
            (member.id, re.compile(r"(?<!\w)" + r"\s+".join(map(re.escape, member.name.split()))
                                   + r"(?!\w)", re.IGNORECASE))
            for member in staff if member.name and member.name.strip()
        ]

    def find(self, event: Component) -> tuple[int | None, str]:
        """The staff id the event names (first known ATTENDEE, else SUMMARY), or a reason."""
        emails = _mailtos(event.get("ATTENDEE"))
        for email in emails:
            if email.lower() in self.by_email:
                return self.by_email[email.lower()], ""
        summary = _text(event, "SUMMARY")
        spans = [(m.start(), m.end(), staff_id) for staff_id, pattern in self.names
                 for m in pattern.finditer(summary)]
        # "Mary Ann Lee" also holds "Ann Lee": a name inside a longer matched name is not one.
        named = {s for a, b, s in spans
                 if not any(c <= a and b <= d and (c, d) != (a, b) for c, d, _ in spans)}
        if len(named) == 1:
            return named.pop(), ""
        if named:
            return None, "its summary names several staff members; add an ATTENDEE"
        if emails:
            return None, f"no active staff member has the e-mail {', '.join(emails)}"
        return None, "no ATTENDEE and its summary names no active staff member"


def _parse(data: bytes | str) -> Calendar:
    try:
        calendar = Calendar.from_ical(data)
    except ValueError as exc:  # icalendar reports every parse failure as a ValueError
        raise ScheduleImportError(f"not an iCalendar file: {str(exc)[:200]}") from None
    if calendar.name != "VCALENDAR":
        raise ScheduleImportError(
            f"not an iCalendar file: it holds a {calendar.name}, not a VCALENDAR")
    events = calendar.walk("VEVENT")
    if not events:
        raise ScheduleImportError("the calendar holds no events (VEVENT)")
    for event in events:
        uid, start = _text(event, "UID") or "without UID", event.get("DTSTART")
        if start is None:
            raise ScheduleImportError(f"event {uid} has no DTSTART")
        try:
            readable = isinstance(start.dt, date)
        except (ValueError, AttributeError) as exc:  # icalendar keeps unreadable values as-is
            raise ScheduleImportError(f"event {uid} has an unreadable DTSTART: {exc}") from None
        if not readable:
            raise ScheduleImportError(f"event {uid} has a DTSTART that is not a date")
    return calendar


def _mailtos(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [] if value is None else [value]
    return [str(v)[7:].strip() for v in values if str(v).lower().startswith("mailto:")]


def _layer(event: Component) -> str:
    categories = event.get("CATEGORIES")
    groups = categories if isinstance(categories, list) else [] if categories is None else [
        categories]
    names = [str(name) for group in groups for name in getattr(group, "cats", [group])]
    texts = [_text(event, "SUMMARY"), *names]
    return "backup" if any(_BACKUP.search(text) for text in texts) else "primary"


def _text(component: Component, name: str) -> str:
    value = component.get(name)
    return "" if value is None else str(value).strip()


def _utc(value: date | datetime, tz: ZoneInfo) -> datetime:
    """An occurrence bound in UTC; floating times and whole days are the practice's local time."""
    if isinstance(value, datetime):
        local = value if value.tzinfo is not None else value.replace(tzinfo=tz)
    else:
        local = datetime.combine(value, time(), tzinfo=tz)
    return local.astimezone(UTC)
