"""The practice's opening hours: when routine contacts are answered, and when they wait.

Read from the policy file's ``[hours]`` table: a time zone, a window per weekday
(``monday = "08:00-17:00"``; a day left out is closed) and closed dates (holidays). Pure
functions of an instant: "is the practice open" and "when does it open next", in UTC,
across daylight-saving changes (wall times are read in the practice's zone).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class HoursError(ValueError):
    """The [hours] table is unusable; the message names the field."""


@dataclass(frozen=True)
class OpeningHours:
    zone: ZoneInfo
    windows: tuple[tuple[time, time] | None, ...]  # by weekday, Monday first
    closed: frozenset[date] = frozenset()

    def _window(self, day: date) -> tuple[datetime, datetime] | None:
        """Today's opening and closing instants (UTC), or None when closed all day."""
        window = self.windows[day.weekday()]
        if window is None or day in self.closed:
            return None
        opens, closes = (datetime.combine(day, moment, self.zone).astimezone(UTC)
                         for moment in window)
        return opens, closes

    def is_open(self, at: datetime) -> bool:
        window = self._window(at.astimezone(self.zone).date())
        return window is not None and window[0] <= at < window[1]

    def next_open(self, at: datetime) -> datetime:
        """``at`` itself when open, else the next opening (within the coming 366 days)."""
        day = at.astimezone(self.zone).date()
        for offset in range(367):
            window = self._window(day + timedelta(days=offset))
            if window is not None and at < window[1]:
                return max(at, window[0])
        raise HoursError("the practice never opens in the coming year")


def _clock(value: str, where: str) -> time:
    try:
        hours, minutes = value.split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        raise HoursError(f"{where}: {value!r} is not a time such as 08:00") from None


def parse_hours(raw: dict[str, object], where: str, default_zone: str) -> OpeningHours:
    """Build opening hours from the ``[hours]`` table; raise HoursError naming the field."""
    zone_name = raw.get("timezone", default_zone)
    try:
        zone = ZoneInfo(str(zone_name))
    except (ZoneInfoNotFoundError, ValueError):
        raise HoursError(f"{where}: timezone {zone_name!r} is not an IANA time zone") from None
    windows: list[tuple[time, time] | None] = []
    for day in DAYS:
        value = raw.get(day)
        if value is None:
            windows.append(None)
            continue
        if not isinstance(value, str) or value.count("-") != 1:
            raise HoursError(f"{where}: {day} must look like \"08:00-17:00\"")
        opens, closes = (_clock(part.strip(), f"{where}: {day}") for part in value.split("-"))
        if closes <= opens:
            raise HoursError(f"{where}: {day} closes before it opens")
        windows.append((opens, closes))
    if all(window is None for window in windows):
        raise HoursError(f"{where}: give the opening hours of at least one weekday")
    closed = raw.get("closed", [])
    if not isinstance(closed, list) or not all(isinstance(d, date) for d in closed):
        raise HoursError(f"{where}: closed must be a list of dates (2026-12-25)")
    unknown = set(raw) - {*DAYS, "timezone", "closed"}
    if unknown:
        raise HoursError(f"{where}: unknown field {sorted(unknown)[0]!r}")
    return OpeningHours(zone, tuple(windows), frozenset(closed))
