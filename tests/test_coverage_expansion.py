"""The practice imports its on-call calendar a week ahead; the coverage check says that a
gap after that week may be the end of the import, not of the rota, and the import takes no
more than a year ahead."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hub.cli import oncall as oncall_commands
from hub.cli import schedule as schedule_commands
from tests.test_oncall_commands import hub, ny

# --- a calendar expanded only so far ahead -------------------------------------------------

DAILY_BEN = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//test//EN
BEGIN:VEVENT
UID:ben-days
DTSTAMP:20261101T000000Z
DTSTART;TZID=America/New_York:20261130T080000
DURATION:P1D
RRULE:FREQ=DAILY{until}
SUMMARY:Primary on call
ATTENDEE:mailto:ben@clinic.test
END:VEVENT
END:VCALENDAR
"""


@pytest.fixture
def import_clock(monkeypatch: pytest.MonkeyPatch):
    """Sets 'now' of the import and of the coverage check together."""
    def set_now(at: datetime) -> None:
        for module in (schedule_commands, oncall_commands):
            monkeypatch.setattr(module, "utcnow", lambda: at.astimezone(UTC))
    return set_now


def import_days(runner, tmp_path, days: str, until: str = "") -> None:
    path = tmp_path / "oncall.ics"
    path.write_text(DAILY_BEN.format(until=until))
    result = hub(runner, "import-schedule", str(path), "--days", days)
    assert result.exit_code == 0, result.output


def test_coverage_says_a_gap_may_be_the_end_of_a_calendar_expanded_only_days_ahead(
        rt, runner, staff_only, import_clock, tmp_path):
    import_clock(ny(2026, 12, 1, 9))
    import_days(runner, tmp_path, "7")

    result = hub(runner, "coverage", "--days", "14")

    assert result.exit_code == 1, result.output
    assert result.output.splitlines() == [
        "1 gap(s) in on-call coverage, 2026-12-01 09:00 to 2026-12-15 09:00 "
        "(America/New_York, 14 day(s)):",
        "  2026-12-09 08:00 to 2026-12-15 09:00: no primary on call "
        "(past where calendar oncall.ics was expanded)",
        "note: calendar oncall.ics was expanded into shifts only 7 day(s) ahead of its "
        "import, until 2026-12-08 09:00; its later events are not in the hub, so a gap after "
        "that may be the end of the expansion: re-import it (hub import-schedule --days, up "
        "to 366)",
    ]


def test_a_calendar_expanded_past_the_window_or_with_nothing_later_gets_no_note(
        rt, runner, staff_only, import_clock, tmp_path):
    import_clock(ny(2026, 12, 1, 9))
    import_days(runner, tmp_path, "30")
    assert hub(runner, "coverage", "--days", "14").output.startswith("covered: ")

    import_days(runner, tmp_path, "7", until=";UNTIL=20261205T130000Z")  # the rota ends
    ended = hub(runner, "coverage", "--days", "14")
    assert "no primary on call" in ended.output and "note:" not in ended.output
    assert "expanded" not in ended.output


@pytest.mark.parametrize("days", ["0", "367", "100000000"])
def test_import_schedule_refuses_days_beyond_a_year_ahead(rt, runner, staff_only, tmp_path,
                                                          days):
    path = tmp_path / "oncall.ics"
    path.write_text(DAILY_BEN.format(until=""))

    result = hub(runner, "import-schedule", str(path), "--days", days)

    assert result.exit_code == 2, result.output
    assert "Invalid value for '--days'" in result.output and "1<=x<=366" in result.output
