"""Two business days after a discharge, in the practice's zone: weekends and US federal holidays
(as observed) skipped; the discharge day itself is day 0, whatever the hour."""

from __future__ import annotations

from datetime import date

import pytest

from hub.business_days import add_business_days, due_after, is_business_day
from tests.transition_story import EASTERN, local


@pytest.mark.parametrize(("discharged", "due"), [
    (local(2026, 12, 4, 16, 0), local(2026, 12, 8, 17, 0)),  # Friday 4 p.m. -> Tuesday
    (local(2027, 1, 15, 16, 0), local(2027, 1, 20, 17, 0)),  # Monday MLK Day -> Wednesday
    (local(2026, 12, 8, 9, 0), local(2026, 12, 10, 17, 0)),  # Tuesday -> Thursday
    (local(2026, 12, 23, 23, 30), local(2026, 12, 28, 17, 0)),  # Wed night; Christmas Fri skipped
    (local(2026, 7, 1, 10, 0), local(2026, 7, 6, 17, 0)),  # July 4th (Sat) observed Fri 3rd
])
def test_the_follow_up_is_due_at_the_end_of_the_second_business_day(discharged, due):
    assert due_after(discharged, 2, EASTERN).astimezone(EASTERN) == due


def test_a_late_evening_discharge_counts_by_the_practices_calendar_not_utc():
    # 9 p.m. Friday in New York is already Saturday in UTC: still a Friday discharge.
    assert due_after(local(2026, 12, 4, 21, 0), 2, EASTERN).astimezone(EASTERN) == local(
        2026, 12, 8, 17, 0)


def test_weekends_and_holidays_are_not_business_days():
    assert not is_business_day(date(2026, 12, 5))  # Saturday
    assert not is_business_day(date(2026, 11, 26))  # Thanksgiving
    assert is_business_day(date(2026, 11, 27))  # the Friday after: a business day federally
    assert add_business_days(date(2026, 11, 25), 1) == date(2026, 11, 27)
