"""A manager mistypes a year: every command that takes a date or time says, in one line,
which dates the hub handles, instead of a traceback (``9999-12-31`` overflowed Python's
dates as soon as a rotation's turns were counted towards it)."""

from __future__ import annotations

import pytest

from hub.cli import cli
from tests.practice import Practice


def hub(runner, *args: str):
    return runner.invoke(cli, list(args))


@pytest.fixture
def rotation(rt, runner, staff_only) -> Practice:
    """Ben and Nora take weekly turns on primary from 1 March 2026."""
    result = hub(runner, "rotation", "add", "days", "ben@clinic.test", "nora@clinic.test",
                 "--start", "2026-03-01")
    assert result.exit_code == 0, result.output
    return staff_only


def error_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("Error:")]


FAR_OFF = [
    (["oncall", "--at", "9999-12-31 09:00"], "'--at'"),
    (["oncall", "--at", "0001-01-01 00:00"], "'--at'"),
    (["oncall", "--at", "9999-12-31 23:59-05:00"], "'--at'"),
    (["override", "add", "add", "--by", "maya@clinic.test", "--layer", "primary",
      "--from", "2026-12-01 09:00", "--until", "9999-12-31 23:59"], "'--until'"),
    (["override", "add", "remove", "--for", "ben@clinic.test",
      "--from", "0001-01-01 00:00", "--until", "2026-12-01 09:00"], "'--from'"),
    (["swap", "add", "ben@clinic.test", "9999-12-31 09:00", "nora@clinic.test",
      "2026-12-01 09:00"], "FIRST_AT"),
    (["rotation", "add", "far", "ben@clinic.test", "--start", "9999-12-31"], "'--start'"),
    (["export-log", "--since", "9999-12-31"], "--since"),
    (["export-log", "--until", "0001-01-01T00:00"], "--until"),
    (["ccm-minutes", "--month", "9999-12"], "--month"),
    (["care-plan", "set", "--patient", "{walter}", "--field", "review_date", "9999-12-31"],
     "TEXT"),
]


@pytest.mark.parametrize(("args", "option"), FAR_OFF, ids=lambda v: " ".join(v)
                         if isinstance(v, list) else None)
def test_a_date_the_hub_cannot_handle_is_refused_in_one_line_naming_the_option(
        rt, runner, rotation, args, option):
    result = hub(runner, *(a.format(walter=rotation.walter.id) for a in args))

    assert result.exit_code == 2, result.output
    assert not isinstance(result.exception, OverflowError)
    [line] = error_lines(result.output)
    assert option in line and "1900-01-01 to 2199-12-31" in line, line


def test_the_last_day_the_hub_handles_still_answers(rt, runner, rotation):
    result = hub(runner, "oncall", "--at", "2199-12-31 23:59", "--patient",
                 str(rotation.walter.id))

    assert result.exit_code == 0, result.output
    assert "On call at 2199-12-31 23:59 EST" in result.output
    assert "rotation days" in result.output
