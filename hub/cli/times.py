"""Dates and times on the command line: read in the practice's time zone, shown in it, and
kept to the years the hub handles.

Every command that takes a date or a time reads it here, so each refuses the same way, in
one line naming the option, a value it cannot work with: text that is no date, or a date
outside 1900-01-01 to 2199-12-31 (a rotation counts its turns towards the time asked, and
Python's dates end in the year 9999).

    at = parse_local("2026-03-07 18:00", "'--from'", tz)   # UTC
    local(at, tz)                                          # "2026-03-07 18:00"
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import click

AT_FORMAT = "'YYYY-MM-DD HH:MM' (practice time), e.g. '2026-03-08 02:30'"
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2199, 12, 31)
RANGE = f"{FIRST_DAY} to {LAST_DAY}"


def within_range(value: date | datetime, option: str | None = None) -> None:
    """A usage error naming ``option`` unless ``value`` (its own calendar day, whatever the
    zone) lies in the years the hub handles."""
    day = value.date() if isinstance(value, datetime) else value
    if not FIRST_DAY <= day <= LAST_DAY:
        raise click.BadParameter(f"{day} is outside the dates the hub handles ({RANGE})",
                                 param_hint=option)


def parse_date(value: str, option: str | None = None, example: str = "2026-03-07") -> date:
    """A command-line day ('YYYY-MM-DD') within the hub's range, or a usage error."""
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like {example}",
                                 param_hint=option) from None
    within_range(day, option)
    return day


def parse_month(value: str, option: str | None = None) -> str:
    """A command-line month ('YYYY-MM') within the hub's range, as given, or a usage error."""
    try:
        first = datetime.strptime(value, "%Y-%m")
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a month (YYYY-MM)",
                                 param_hint=option) from None
    within_range(first, option)
    return value


def parse_wall(value: str, option: str | None = None) -> datetime:
    """A command-line time as written (naive practice time, or with an offset), within the
    hub's range."""
    try:
        wall = datetime.fromisoformat(value.strip())
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a time like {AT_FORMAT}",
                                 param_hint=option) from None
    within_range(wall, option)
    return wall


def wall_option(ctx: click.Context, param: click.Parameter, value: str | None
                ) -> datetime | None:
    """Click callback of an option such as ``--at``: :func:`parse_wall`, or None."""
    return None if value is None else parse_wall(value)


# --- the practice's time zone ----------------------------------------------------------------

def local(at: datetime, tz: ZoneInfo) -> str:
    """``at`` as practice wall time; the zone's abbreviation is added when the wall time
    happens twice (the night clocks go back), so the reader knows which one."""
    wall = at.astimezone(tz)
    text = f"{wall:%Y-%m-%d %H:%M}"
    if wall.replace(fold=1 - wall.fold).utcoffset() != wall.utcoffset():
        text += f" {wall:%Z}"
    return text


def _offset(at: datetime) -> str:
    return at.isoformat()[-6:]  # "-05:00"


def resolve_wall_time(wall: datetime, tz: ZoneInfo) -> tuple[datetime, str | None]:
    """The UTC instant of a wall time given on the command line, and a note when the time
    does not exist or happens twice in ``tz`` (read with fold=0 then, as zoneinfo does)."""
    if wall.tzinfo is not None:
        return wall.astimezone(UTC), None
    first, second = wall.replace(tzinfo=tz, fold=0), wall.replace(tzinfo=tz, fold=1)
    if first.utcoffset() == second.utcoffset():
        return first.astimezone(UTC), None
    shown = f"{wall:%Y-%m-%d %H:%M}"
    real = first.astimezone(UTC).astimezone(tz)
    if real.replace(tzinfo=None) != wall:
        note = (f"note: --at {shown} does not exist in {tz.key} (the clocks skip that hour); "
                f"read with fold=0 at the offset before the change ({_offset(first)}), "
                f"which is {real:%Y-%m-%d %H:%M %Z}")
    else:
        note = (f"note: --at {shown} happens twice in {tz.key}; read with fold=0 as the first "
                f"({first:%Z}, {_offset(first)}); for the second give "
                f"--at '{shown}{_offset(second)}'")
    return first.astimezone(UTC), note


def parse_local(value: str, option: str, tz: ZoneInfo) -> datetime:
    """A command-line practice time ('YYYY-MM-DD HH:MM', or with an offset) as UTC; a time
    the clocks skip or repeat is read with fold=0, as ``--at`` is."""
    return resolve_wall_time(parse_wall(value, option), tz)[0]
