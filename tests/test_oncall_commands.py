"""The practice manager asks who is on call, whom Walter would reach, and where the gaps are."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, select

from hub import contact_log
from hub.cli import cli
from hub.cli import oncall as oncall_commands
from hub.models import LogEntry, Shift, Staff
from tests.practice import seed

NEW_YORK = ZoneInfo("America/New_York")
# Tuesday 1 December 2026, 22:00 in New York: a night on the line.
NIGHT = datetime(2026, 12, 1, 22, tzinfo=NEW_YORK)


def ny(*args: int, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=NEW_YORK, fold=fold)


def hub(runner, *args: str):
    return runner.invoke(cli, list(args))


def add_shift(rt, staff: Staff, layer: str, starts: datetime, ends: datetime) -> None:
    with rt.session() as session:
        session.add(Shift(staff_id=staff.id, layer=layer, starts_at=starts, ends_at=ends,
                          source_key=f"test/{staff.id}/{layer}/{starts.isoformat()}"))


def update_staff(rt, staff: Staff, **values: object) -> None:
    with rt.session() as session:
        person = session.get(Staff, staff.id)
        assert person is not None
        for name, value in values.items():
            setattr(person, name, value)


def log_entries(rt) -> list[LogEntry]:
    with rt.sessions() as session:
        return list(session.scalars(select(LogEntry).order_by(LogEntry.seq)))


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch):
    """Sets the commands' 'now' (the stories happen on chosen days)."""
    def set_now(at: datetime) -> None:
        monkeypatch.setattr(oncall_commands, "utcnow", lambda: at.astimezone(UTC))
    return set_now


# --- hub oncall --------------------------------------------------------------------------

def test_on_a_night_nora_is_on_shift_walter_reaches_his_own_care_manager_first(
        rt, runner, caplog):
    with rt.sessions() as session:
        practice = seed(session, now=NIGHT, nora_on_shift=True)
    before = len(log_entries(rt))
    caplog.set_level(logging.DEBUG)

    result = hub(runner, "oncall", "--at", "2026-12-01 22:00", "--patient",
                 str(practice.walter.id))

    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "On call at 2026-12-01 22:00 EST (America/New_York):",
        "  primary  Nora Reyes, 2026-11-30 22:00 to 2026-12-02 22:00",
        "  primary  Ben Okafor, 2026-11-30 22:00 to 2026-12-02 22:00",
        "  backup   Maya Chen, 2026-11-30 22:00 to 2026-12-02 22:00",
        "",
        f"A routine contact from patient {practice.walter.id} (Walter Kowalski) at "
        "2026-12-01 22:00 pages:",
        "  step 1, 2026-12-01 22:00: continuity by sms",
        "    Nora Reyes: Walter's designated care manager, on shift until 2026-12-02 22:00",
        "  step 2, 2026-12-01 22:02 if nobody has acknowledged: backup by sms",
        "    Maya Chen: backup on call until 2026-12-02 22:00",
        "  step 3, 2026-12-01 22:04 if nobody has acknowledged: role:manager by sms and call",
        "    Maya Chen: every active manager (role:manager)",
        "  then, every 10 min until someone acknowledges: the managers by SMS and call"
        " (no HUB_FALLBACK_NUMBER to call)",
        "  (urgent contacts follow the policy's urgent steps)",
    ]
    # Walter's name and team were shown: one access entry, his id only, his name nowhere.
    (viewed,) = log_entries(rt)[before:]
    assert viewed.event == "access.view_escalation"
    assert json.loads(viewed.detail) == {"patient_id": practice.walter.id, "shown": "escalation",
                                         "at": "2026-12-02T03:00:00+00:00"}
    assert "Walter" not in caplog.text and "Kowalski" not in caplog.text


def test_on_a_night_nora_is_off_walter_reaches_the_primary_and_the_manager_sees_why(rt, runner):
    with rt.sessions() as session:
        practice = seed(session, now=NIGHT)

    result = hub(runner, "oncall", "--at", "2026-12-01 22:00", "--patient",
                 str(practice.walter.id))

    assert result.exit_code == 0, result.output
    assert ("    Ben Okafor: primary on call until 2026-12-02 22:00 "
            "(the care manager Nora Reyes is not on shift)") in result.output.splitlines()
    assert "  primary  Nora Reyes" not in result.output


def test_without_at_the_command_tells_who_is_on_call_now(rt, runner):
    with rt.sessions() as session:
        seed(session)  # shifts around the real now

    result = hub(runner, "oncall")

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("On call at ") and lines[0].endswith("(America/New_York):")
    assert lines[1].startswith("  primary  Ben Okafor, ")
    assert lines[2].startswith("  backup   Maya Chen, ")
    assert "A routine contact" not in result.output


def test_a_primary_without_a_phone_is_passed_over_and_the_manager_is_paged_at_once(
        rt, runner, staff_only):
    add_shift(rt, staff_only.ben, "primary", ny(2026, 12, 1, 20), ny(2026, 12, 2, 8))
    add_shift(rt, staff_only.maya, "backup", ny(2026, 12, 1, 20), ny(2026, 12, 2, 8))
    update_staff(rt, staff_only.ben, phone=None, phone_index=None)

    result = hub(runner, "oncall", "--at", "2026-12-01 22:00", "--patient",
                 str(staff_only.walter.id))

    lines = result.output.splitlines()
    at_step_one = lines.index("  step 1, 2026-12-01 22:00: continuity by sms")
    assert lines[at_step_one + 1] == (
        "    Maya Chen: every active manager (role:manager) (the care manager Nora Reyes is not "
        "on shift; Ben Okafor (primary) has no phone; no active physician)")


def test_a_step_whose_only_person_has_no_phone_is_skipped_as_the_engine_would(
        rt, runner, staff_only):
    add_shift(rt, staff_only.ben, "primary", ny(2026, 12, 1, 20), ny(2026, 12, 2, 8))
    add_shift(rt, staff_only.maya, "backup", ny(2026, 12, 1, 20), ny(2026, 12, 2, 8))
    update_staff(rt, staff_only.ben, phone=None, phone_index=None)
    update_staff(rt, staff_only.maya, phone=None, phone_index=None)

    result = hub(runner, "oncall", "--at", "2026-12-01 22:00", "--patient",
                 str(staff_only.walter.id))

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert ("  primary  Ben Okafor, 2026-12-01 20:00 to 2026-12-02 08:00"
            "  (no phone: cannot be paged)") in lines
    at_step_one = lines.index("  step 1, 2026-12-01 22:00: continuity by sms")
    assert lines[at_step_one + 1:at_step_one + 4] == [
        "    Ben Okafor: primary on call until 2026-12-02 08:00 (the care manager Nora Reyes "
        "is not on shift)  (no phone: cannot be paged)",
        "    nobody reachable: the step is skipped; the next one is paged at once",
        # skipped, so the backup is paged at the same minute, not two minutes later
        "  step 2, 2026-12-01 22:00 if nobody has acknowledged: backup by sms",
    ]


def test_a_time_the_clocks_skip_on_the_dst_night_is_read_with_fold_0_and_said_so(
        rt, runner, staff_only):
    # Saturday 08:00 EST to Sunday 08:00 EDT: the 23-hour shift of 8 March 2026.
    add_shift(rt, staff_only.ben, "primary", ny(2026, 3, 7, 8), ny(2026, 3, 8, 8))

    result = hub(runner, "oncall", "--at", "2026-03-08 02:30")

    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "note: --at 2026-03-08 02:30 does not exist in America/New_York (the clocks skip that "
        "hour); read with fold=0 at the offset before the change (-05:00), which is "
        "2026-03-08 03:30 EDT",
        "On call at 2026-03-08 03:30 EDT (America/New_York):",
        "  primary  Ben Okafor, 2026-03-07 08:00 to 2026-03-08 08:00",
        "  backup   nobody on call",
    ]


def test_a_time_that_happens_twice_in_november_is_read_as_the_first_unless_an_offset_says(
        rt, runner, staff_only):
    add_shift(rt, staff_only.ben, "primary", ny(2026, 10, 31, 8), ny(2026, 11, 1, 1, 45))
    add_shift(rt, staff_only.nora, "primary", ny(2026, 11, 1, 1, 45), ny(2026, 11, 1, 8))

    first = hub(runner, "oncall", "--at", "2026-11-01 01:30")
    second = hub(runner, "oncall", "--at", "2026-11-01 01:30-05:00")

    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    assert first.output.splitlines()[:3] == [
        "note: --at 2026-11-01 01:30 happens twice in America/New_York; read with fold=0 as "
        "the first (EDT, -04:00); for the second give --at '2026-11-01 01:30-05:00'",
        "On call at 2026-11-01 01:30 EDT (America/New_York):",
        "  primary  Ben Okafor, 2026-10-31 08:00 to 2026-11-01 01:45 EDT",
    ]
    assert second.output.splitlines()[:2] == [
        "On call at 2026-11-01 01:30 EST (America/New_York):",
        "  primary  Nora Reyes, 2026-11-01 01:45 EDT to 2026-11-01 08:00",
    ]


@pytest.mark.parametrize("at", ["next tuesday", "2026-13-01 10:00", "2026-03-08 25:00", ""])
def test_an_unreadable_at_is_a_usage_error_naming_it(rt, runner, at):
    result = hub(runner, "oncall", "--at", at)

    assert result.exit_code == 2
    assert "Invalid value for '--at'" in result.output
    assert "YYYY-MM-DD HH:MM" in result.output


def test_an_unknown_patient_is_a_usage_error_naming_it(rt, runner, staff_only):
    result = hub(runner, "oncall", "--patient", "999")

    assert result.exit_code == 2
    assert "Invalid value for '--patient': no patient '999' (give the hub id" in result.output


# --- hub coverage ------------------------------------------------------------------------

def checks(rt) -> list[dict[str, object]]:
    return [json.loads(e.detail) for e in log_entries(rt) if e.event == "coverage.checked"]


def test_a_saturday_nobody_holds_primary_is_found_logged_and_fails_the_check(
        rt, runner, staff_only, clock):
    clock(ny(2026, 12, 1, 9, 20))  # Tuesday morning
    add_shift(rt, staff_only.maya, "backup", ny(2026, 11, 30, 8), ny(2026, 12, 31, 8))
    add_shift(rt, staff_only.ben, "primary", ny(2026, 11, 30, 8), ny(2026, 12, 5, 8))
    add_shift(rt, staff_only.nora, "primary", ny(2026, 12, 5, 20), ny(2026, 12, 31, 8))

    result = hub(runner, "coverage")

    assert result.exit_code == 1, result.output
    assert result.output.splitlines() == [
        "1 gap(s) in on-call coverage, 2026-12-01 09:00 to 2026-12-15 09:00 "
        "(America/New_York, 14 day(s)):",
        "  2026-12-05 08:00 to 2026-12-05 20:00: no primary on call",
    ]
    [check] = checks(rt)
    assert check == {"days": 14, "from": "2026-12-01T14:00:00+00:00",
                     "until": "2026-12-15T14:00:00+00:00", "shifts": 3, "gaps": 1,
                     "no_primary": 1, "no_phone": 0, "broken_phone": 0, "inactive": 0}
    with rt.sessions() as session:
        assert contact_log.verify(session)[1] is None

    # Ben takes the Saturday: the next check passes, and is on record too.
    add_shift(rt, staff_only.ben, "primary", ny(2026, 12, 5, 8), ny(2026, 12, 5, 20))
    again = hub(runner, "coverage")
    assert again.exit_code == 0, again.output
    assert again.output.startswith("covered: 2026-12-01 09:00 to 2026-12-15 09:00")
    assert [c["gaps"] for c in checks(rt)] == [1, 0]


def test_an_on_call_nurse_without_a_phone_and_an_inactive_backup_are_gaps(
        rt, runner, staff_only, clock):
    clock(ny(2026, 12, 1, 9))
    add_shift(rt, staff_only.ben, "primary", ny(2026, 11, 30, 8), ny(2026, 12, 2, 8))
    add_shift(rt, staff_only.nora, "primary", ny(2026, 12, 2, 8), ny(2026, 12, 10, 8))
    add_shift(rt, staff_only.maya, "backup", ny(2026, 11, 30, 8), ny(2026, 12, 10, 8))
    update_staff(rt, staff_only.ben, phone="")
    update_staff(rt, staff_only.maya, active=False)

    result = hub(runner, "coverage", "--days", "7")

    assert result.exit_code == 1, result.output
    assert result.output.splitlines()[1:] == [
        "  2026-12-01 09:00 to 2026-12-02 08:00: Ben Okafor (primary) has no phone",
        "  2026-12-01 09:00 to 2026-12-08 09:00: Maya Chen (backup) is inactive",
    ]
    [check] = checks(rt)
    assert (check["no_phone"], check["inactive"], check["no_primary"]) == (1, 1, 0)


def test_an_inactive_primary_leaves_nobody_on_call(rt, runner, staff_only, clock):
    clock(ny(2026, 12, 1, 9))
    add_shift(rt, staff_only.ben, "primary", ny(2026, 11, 30, 8), ny(2026, 12, 3, 8))
    update_staff(rt, staff_only.ben, active=False)

    result = hub(runner, "coverage", "--days", "1")

    assert result.exit_code == 1
    assert result.output.splitlines()[1:] == [
        "  2026-12-01 09:00 to 2026-12-02 09:00: Ben Okafor (primary) is inactive",
        "  2026-12-01 09:00 to 2026-12-02 09:00: no primary on call",
    ]


def test_the_dst_nights_are_checked_in_real_hours_and_shown_in_local_time(
        rt, runner, staff_only, clock):
    # March: Ben hands over at 02:00 EST, Nora starts at 03:00 EDT, the same instant.
    clock(ny(2026, 3, 7, 9))
    add_shift(rt, staff_only.ben, "primary", ny(2026, 3, 7, 8), ny(2026, 3, 8, 2))
    add_shift(rt, staff_only.nora, "primary", ny(2026, 3, 8, 3), ny(2026, 3, 9, 12))

    spring = hub(runner, "coverage", "--days", "2")

    assert spring.exit_code == 0, spring.output
    assert spring.output.startswith(
        "covered: 2026-03-07 09:00 to 2026-03-09 10:00 (America/New_York, 2 day(s))")

    # November: nobody holds the second 01:00 to 02:00, the hour that happens twice.
    clock(ny(2026, 10, 31, 9))
    add_shift(rt, staff_only.ben, "primary", ny(2026, 10, 31, 8), ny(2026, 11, 1, 1, fold=1))
    add_shift(rt, staff_only.nora, "primary", ny(2026, 11, 1, 2), ny(2026, 11, 3, 8))

    autumn = hub(runner, "coverage", "--days", "2")

    assert autumn.exit_code == 1, autumn.output
    assert autumn.output.splitlines()[1:] == [
        "  2026-11-01 01:00 EST to 2026-11-01 02:00: no primary on call",
    ]


def test_the_check_reads_the_shifts_in_one_query_however_many_days(
        rt, runner, staff_only, clock):
    clock(ny(2026, 12, 1, 9))
    for day in range(60):
        start = ny(2026, 12, 1, 8) + timedelta(days=day)
        add_shift(rt, staff_only.ben, "primary", start, start + timedelta(days=1))
    shift_queries: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:
        if "FROM shifts" in statement:
            shift_queries.append(statement)

    event.listen(rt.engine, "before_cursor_execute", count)
    try:
        result = hub(runner, "coverage", "--days", "45")
    finally:
        event.remove(rt.engine, "before_cursor_execute", count)

    assert result.exit_code == 0, result.output
    assert "(46 shift(s) checked)" in result.output  # days 0 to 45 touch the window
    assert len(shift_queries) == 1
