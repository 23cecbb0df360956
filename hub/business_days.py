"""Business days in the practice's time zone: weekends and US federal holidays skipped.

The transitional-care rule counts "within 2 business days following the date of discharge":
the discharge day itself is day 0, whatever hour it was.

    >>> from zoneinfo import ZoneInfo
    >>> tz = ZoneInfo("America/New_York")
    >>> friday_4pm = datetime(2026, 12, 4, 21, 0, tzinfo=UTC)
    >>> due_after(friday_4pm, 2, tz).astimezone(tz).strftime("%a %Y-%m-%d %H:%M")
    'Tue 2026-12-08 17:00'
    >>> before_mlk_day = datetime(2027, 1, 15, 21, 0, tzinfo=UTC)
    >>> due_after(before_mlk_day, 2, tz).astimezone(tz).strftime("%a %Y-%m-%d %H:%M")
    'Wed 2027-01-20 17:00'
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import holidays

END_OF_BUSINESS = time(17, 0)  # a business day's work is due by 5 p.m. local


@cache
def _federal(year: int) -> holidays.HolidayBase:
    # Observed dates included (a Saturday's holiday is taken the Friday before).
    return holidays.country_holidays("US", years=year)


def is_business_day(day: date) -> bool:
    """A weekday that is not a US federal holiday (as observed)."""
    return day.weekday() < 5 and day not in _federal(day.year)


def add_business_days(day: date, count: int) -> date:
    """The ``count``-th business day after ``day`` (``day`` itself not counted)."""
    while count > 0:
        day += timedelta(days=1)
        if is_business_day(day):
            count -= 1
    return day


def due_after(moment: datetime, count: int, tz: ZoneInfo) -> datetime:
    """End of business (local) on the ``count``-th business day after ``moment``'s local
    date, in UTC."""
    local_day = moment.astimezone(tz).date()
    due_day = add_business_days(local_day, count)
    return datetime.combine(due_day, END_OF_BUSINESS, tzinfo=tz).astimezone(UTC)
