"""The manager hears of holes in the on-call schedule before a patient falls into one."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from hub import contact_log
from hub.cli import cli
from hub.cli import oncall as oncall_commands
from hub.db import make_engine, make_session_factory
from hub.models import LogEntry, Outbound, Staff
from messages.engine import tick
from messages.texts import coverage_alert
from routing.coverage import ALERT_EVERY, alert_managers, find_gaps
from tests.practice import MAYA

NY = ZoneInfo("America/New_York")
MONDAY = datetime(2026, 3, 2, 9, tzinfo=NY).astimezone(UTC)


def hub(runner, *args: str):
    return runner.invoke(cli, list(args))


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch):
    def set_now(at: datetime) -> None:
        monkeypatch.setattr(oncall_commands, "utcnow", lambda: at)
    return set_now


def weekly_primary(runner, *emails: str) -> None:
    result = hub(runner, "rotation", "add", "week", *emails, "--start", "2026-02-23")
    assert result.exit_code == 0, result.output


def alerts(rt) -> list[Outbound]:
    with rt.sessions() as session:
        return list(session.scalars(select(Outbound).where(Outbound.kind == "alert")
                                    .order_by(Outbound.id)))


def gaps(rt, start: datetime, days: int = 14):
    with rt.sessions() as session:
        return find_gaps(session, start, start + timedelta(days=days))[0]


# --- what counts as a gap ------------------------------------------------------------------

def test_a_weekly_rotation_covers_the_fortnight_and_the_check_passes(rt, runner, staff_only, clock):
    weekly_primary(runner, "ben@clinic.test", "nora@clinic.test")
    clock(MONDAY)

    result = hub(runner, "coverage")

    assert result.exit_code == 0, result.output
    # 14 days of real hours: across the spring change the window ends at 10:00 local
    assert result.output.startswith("covered: 2026-03-02 09:00 to 2026-03-16 10:00")


def test_taking_nora_off_for_an_evening_without_a_cover_leaves_a_gap(rt, runner, staff_only, clock):
    weekly_primary(runner, "ben@clinic.test", "nora@clinic.test")  # Nora's week from 2 March
    hub(runner, "override", "add", "remove", "--for", "nora@clinic.test",
        "--from", "2026-03-03 18:00", "--until", "2026-03-03 22:00")
    clock(MONDAY)

    result = hub(runner, "coverage")

    assert result.exit_code == 1
    assert result.output.splitlines()[1:] == [
        "  2026-03-03 18:00 to 2026-03-03 22:00: no primary on call"]


def test_a_nurse_whose_number_refuses_pages_is_a_gap_until_the_number_is_fixed(
        rt, runner, staff_only, clock):
    weekly_primary(runner, "ben@clinic.test", "nora@clinic.test")
    with rt.session() as session:  # last night the dispatcher found Nora's number opted out
        session.add(Outbound(kind="page", channel="sms", to_number=staff_only.nora.phone,
                             body="page", status="failed", staff_id=staff_only.nora.id))
        contact_log.append(session, "contact_method.broken", detail={
            "staff_id": staff_only.nora.id, "channel": "sms", "code": 21610,
            "called_instead": True})
    clock(MONDAY)

    broken = hub(runner, "coverage", "--days", "3")

    assert broken.exit_code == 1
    assert broken.output.splitlines()[1:] == [
        "  2026-03-02 09:00 to 2026-03-05 09:00: Nora Reyes (primary): the number refuses "
        "pages (Twilio 21610)"]
    with rt.session() as session:
        session.get(Staff, staff_only.nora.id).phone = "+12025550177"
    assert hub(runner, "coverage", "--days", "3").exit_code == 0


# --- the managers' alert --------------------------------------------------------------------


def alert(sessions, tz, at):
    """The tick's coverage duty at ``at``, worded as the engine words it."""
    return alert_managers(sessions, at, partial(coverage_alert, tz=tz))

def test_a_gap_next_week_texts_the_manager_once_a_day_not_every_tick(rt, runner, staff_only):
    weekly_primary(runner, "ben@clinic.test", "nora@clinic.test")
    hub(runner, "override", "add", "remove", "--for", "ben@clinic.test",
        "--from", "2026-03-10 08:00", "--until", "2026-03-10 20:00")
    tz = rt.settings.tz

    first_tick = alert(rt.sessions, tz, MONDAY)  # the first turn is an hour away
    due = alert(rt.sessions, tz, MONDAY + ALERT_EVERY)
    same_hour = alert(rt.sessions, tz, MONDAY + ALERT_EVERY + timedelta(minutes=20))
    next_hour = alert(rt.sessions, tz, MONDAY + 2 * ALERT_EVERY)
    next_day = alert(rt.sessions, tz, MONDAY + timedelta(days=1, hours=2))

    assert (first_tick, due, same_hour, next_hour, next_day) == (0, 1, 0, 0, 1)
    texts = alerts(rt)
    assert [t.to_number for t in texts] == [MAYA, MAYA]
    assert texts[0].body == (
        "Care line: on-call coverage gap(s) in the next 14 days: Tue 03-10 08:00 to "
        "Tue 03-10 20:00 no primary on call. Run 'hub coverage' and fix the schedule.")
    with rt.sessions() as session:
        logged = [json.loads(e.detail) for e in session.scalars(
            select(LogEntry).where(LogEntry.event == "coverage.alerted"))]
    assert [entry["kind"] for entry in logged] == ["no_primary", "no_primary"]


def test_a_schedule_without_gaps_texts_nobody(rt, runner, staff_only):
    weekly_primary(runner, "ben@clinic.test", "nora@clinic.test")

    alert(rt.sessions, rt.settings.tz, MONDAY)

    assert alert(rt.sessions, rt.settings.tz, MONDAY + ALERT_EVERY) == 0
    assert alerts(rt) == []


def test_two_processes_at_the_same_moment_send_one_alert(rt, staff_only):
    other = make_engine(rt.settings.database_url)  # a second process's own pool
    tz = rt.settings.tz
    alert(rt.sessions, tz, MONDAY)  # nobody on call at all: a gap throughout

    counts = [alert(rt.sessions, tz, MONDAY + ALERT_EVERY),
              alert(make_session_factory(other), tz, MONDAY + ALERT_EVERY)]

    other.dispose()
    assert sorted(counts) == [0, 1]
    assert len(alerts(rt)) == 1


def test_the_scheduler_tick_runs_the_alert_duty(rt, staff_only):
    tick(rt, now=MONDAY)

    later = tick(rt, now=MONDAY + ALERT_EVERY)

    assert later["coverage_alerts"] == 1
    assert [t.to_number for t in alerts(rt)] == [MAYA]
