"""Outreach's clock: a patient's wall-clock times to UTC and back, daylight saving included,
quiet hours, and the next occurrence of a plan's RRULE.

Wall-clock times are kept as the patient reads them ("08:00", "2027-03-14 10:30") and turned
into UTC with zoneinfo only when needed, so a daily 8 a.m. text stays at 8 a.m. on both sides
of a clock change, and a reminder set for 10:30 on the day clocks change fires once at 10:30.
A time that does not exist locally (02:30 as clocks spring forward) fires at the same offset
after the gap (03:30); one that happens twice (01:30 as they fall back) fires the first time.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.rrule import DAILY, rrule, rrulestr

QuietHours = tuple[time, time]


class BadSchedule(ValueError):
    """A time zone, wall-clock time or RRULE that cannot be used; the message says which."""


def zone(name: str | None, default: ZoneInfo) -> ZoneInfo:
    """The patient's zone (an IANA name), or the practice's when none is set."""
    if not name:
        return default
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise BadSchedule(f"{name!r} is not an IANA time zone (America/Chicago)") from None


def to_utc(local: datetime, tz: ZoneInfo) -> datetime:
    """A naive local wall-clock time in ``tz`` as an aware UTC time (see the module doc)."""
    return local.replace(tzinfo=tz, fold=0).astimezone(UTC)


def parse_local(text: str) -> datetime:
    """"2027-03-14 10:30" (or with a T) as a naive wall-clock time."""
    try:
        value = datetime.fromisoformat(text.strip().replace(" ", "T", 1))
    except ValueError:
        raise BadSchedule(f"{text!r} is not a local date and time (2027-03-14 10:30)") from None
    if value.tzinfo is not None:
        raise BadSchedule(f"{text!r}: give the patient's local time, without an offset")
    return value.replace(second=0, microsecond=0)


def in_quiet_hours(local: time, quiet: QuietHours) -> bool:
    start, end = quiet
    if start < end:
        return start <= local < end
    return local >= start or local < end  # over midnight (21:00-08:00)


def after_quiet_hours(at: datetime, tz: ZoneInfo, quiet: QuietHours | None) -> datetime:
    """``at`` itself, or the end of the quiet hours it falls in (the patient's local time)."""
    if quiet is None:
        return at
    local = at.astimezone(tz)
    if not in_quiet_hours(local.time().replace(tzinfo=None), quiet):
        return at
    end = quiet[1]
    day = local.date() if local.time().replace(tzinfo=None) < end else (
        local.date() + timedelta(days=1))
    return to_utc(datetime.combine(day, end), tz)


def check_rrule(rule: str, starts_local: datetime) -> rrule:
    """The parsed rule; BadSchedule when it does not parse, repeats more than daily, or
    never occurs."""
    text = rule.strip()
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    try:
        parsed = rrulestr(text, dtstart=starts_local)
    except (ValueError, TypeError) as exc:
        raise BadSchedule(f"not an RRULE ({exc})") from None
    if not isinstance(parsed, rrule):
        raise BadSchedule("give one RRULE (FREQ=DAILY, FREQ=WEEKLY;BYDAY=MO...)")
    if parsed._freq > DAILY:  # HOURLY, MINUTELY, SECONDLY: no patient wants that
        raise BadSchedule("outreach repeats at most daily (FREQ=DAILY, WEEKLY, MONTHLY...)")
    if parsed.after(starts_local, inc=True) is None:
        raise BadSchedule("the rule never occurs")
    return parsed


def next_occurrence(rule: str, starts_local: str, tz: ZoneInfo,
                    after: datetime) -> datetime | None:
    """The first occurrence strictly after ``after`` (UTC), in UTC; None once it ended."""
    start = datetime.fromisoformat(starts_local)
    parsed = check_rrule(rule, start)
    local_after = after.astimezone(tz).replace(tzinfo=None) - timedelta(hours=3)
    for _ in range(400):  # 3 hours back covers a repeated hour; a few steps suffice
        found = parsed.after(local_after, inc=False)
        if found is None:
            return None
        at = to_utc(found, tz)
        if at > after:
            return at
        local_after = found
    return None
