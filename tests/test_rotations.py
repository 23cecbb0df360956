"""The practice manager keeps the on-call schedule in the hub: rotations, covers and swaps,
and a patient reaches the right person through the continuity chain."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, select

from hub.cli import cli
from hub.models import (
    CareTeam,
    CareTeamMember,
    Contact,
    LogEntry,
    Patient,
    ScheduleOverride,
    Shift,
    Staff,
    utcnow,
)
from routing.oncall import explain_target, resolve_target
from routing.policy import PolicyError, parse_policy
from tests.practice import NORA, Practice

NY = ZoneInfo("America/New_York")
OMAR = "+12025550104"


def hub(runner, *args: str):
    return runner.invoke(cli, list(args))


@pytest.fixture
def clinic(rt, staff_only) -> Practice:
    """The small practice with its calendar shifts taken away, and Dr Omar Haddad."""
    with rt.session() as session:
        session.add(Staff(name="Omar Haddad", email="omar@clinic.test", phone=OMAR,
                          role="physician"))
    return staff_only


def nights(runner, start: str = "2026-03-07") -> None:
    result = hub(runner, "rotation", "add", "nights", "ben@clinic.test", "nora@clinic.test",
                 "maya@clinic.test", "--every", "daily", "--handoff", "02:00", "--start", start)
    assert result.exit_code == 0, result.output


def layer_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("  primary")]


def events(rt, name: str) -> list[dict[str, object]]:
    with rt.sessions() as session:
        return [json.loads(e.detail) for e in session.scalars(
            select(LogEntry).where(LogEntry.event == name).order_by(LogEntry.seq))]


# --- rotations -------------------------------------------------------------------------------

def test_a_nightly_rotation_hands_over_at_the_jump_on_the_spring_forward_night(
        rt, runner, clinic):
    nights(runner)

    before = hub(runner, "oncall", "--at", "2026-03-08 01:59")
    after = hub(runner, "oncall", "--at", "2026-03-08 02:30")

    assert layer_lines(before.output) == [
        "  primary  Ben Okafor, 2026-03-07 02:00 to 2026-03-08 03:00  "
        "(rotation nights, hand-off 2026-03-07 02:00)"]
    assert layer_lines(after.output) == [
        "  primary  Nora Reyes, 2026-03-08 03:00 to 2026-03-09 02:00  "
        "(rotation nights, hand-off 2026-03-08 03:00)"]
    [added] = events(rt, "schedule.rotation_added")
    assert added["every_days"] == 1 and added["time_zone"] == "America/New_York"


def test_on_the_fall_back_night_both_one_thirties_belong_to_the_outgoing_nurse(
        rt, runner, clinic):
    nights(runner, "2026-10-31")

    first = hub(runner, "oncall", "--at", "2026-11-01 01:30")
    second = hub(runner, "oncall", "--at", "2026-11-01 01:30-05:00")
    two = hub(runner, "oncall", "--at", "2026-11-01 02:00")

    assert layer_lines(first.output)[0].startswith("  primary  Ben Okafor")
    assert layer_lines(second.output)[0].startswith("  primary  Ben Okafor")
    assert layer_lines(two.output)[0].startswith("  primary  Nora Reyes, 2026-11-01 02:00")


def test_the_manager_lists_and_removes_a_rotation(rt, runner, clinic):
    nights(runner)

    listed = hub(runner, "rotation", "list")
    removed = hub(runner, "rotation", "remove", "nights")
    again = hub(runner, "rotation", "list")

    assert listed.output.splitlines()[0] == (
        "nights (primary, every 1 day(s) at 02:00 America/New_York, from 2026-03-07): "
        "Ben Okafor, Nora Reyes, Maya Chen")
    assert listed.output.splitlines()[1].startswith("  now: ")
    assert removed.exit_code == 0 and again.output == "no rotations\n"
    assert hub(runner, "rotation", "remove", "nights").exit_code == 2


@pytest.mark.parametrize("args, message", [
    (["nights", "ghost@clinic.test", "--start", "2026-03-07"],
     "no staff member has the e-mail 'ghost@clinic.test'"),
    (["nights", "ben@clinic.test", "--start", "March 7"], "is not a date like 2026-03-07"),
    (["nights", "ben@clinic.test", "--start", "2026-03-07", "--every", "hourly"],
     "give daily, weekly, or a count like 2w or 3d"),
    (["nights", "ben@clinic.test", "--start", "2026-03-07", "--handoff", "25:00"],
     "is not a local time like 08:00"),
    (["night shift", "ben@clinic.test", "--start", "2026-03-07"], "use up to 64 letters"),
])
def test_a_bad_rotation_is_refused_with_one_line_naming_what_is_wrong(
        rt, runner, clinic, args, message):
    result = hub(runner, "rotation", "add", *args)

    assert result.exit_code == 2 and message in result.output
    assert "Traceback" not in result.output
    assert hub(runner, "rotation", "list").output == "no rotations\n"


# --- overrides and swaps ---------------------------------------------------------------------

def test_maya_covers_bens_evening_and_the_oncall_view_says_so(rt, runner, clinic):
    nights(runner)

    added = hub(runner, "override", "add", "replace", "--by", "maya@clinic.test", "--for",
                "ben@clinic.test", "--from", "2026-03-07 18:00", "--until", "2026-03-07 23:00")
    evening = hub(runner, "oncall", "--at", "2026-03-07 19:00")
    later = hub(runner, "oncall", "--at", "2026-03-07 23:30")

    assert added.output == ("override #1: Maya Chen covers Ben Okafor's on-call (every layer), "
                            "2026-03-07 18:00 to 2026-03-07 23:00\n")
    assert layer_lines(evening.output) == [
        "  primary  Maya Chen, 2026-03-07 18:00 to 2026-03-07 23:00  (rotation nights, "
        "hand-off 2026-03-07 02:00; covering Ben Okafor (override #1))"]
    assert layer_lines(later.output)[0].startswith("  primary  Ben Okafor, 2026-03-07 23:00")
    assert hub(runner, "override", "list", "--all").output.startswith("#1 replace: Maya Chen")


def test_a_second_change_for_the_same_nurse_says_it_changes_nothing_where_they_overlap(
        rt, runner, clinic):
    nights(runner)
    hub(runner, "override", "add", "replace", "--by", "maya@clinic.test", "--for",
        "ben@clinic.test", "--from", "2026-03-07 18:00", "--until", "2026-03-07 23:00")

    later = hub(runner, "override", "add", "remove", "--for", "ben@clinic.test", "--from",
                "2026-03-07 22:00", "--until", "2026-03-08 01:00")
    backwards = hub(runner, "override", "add", "add", "--by", "nora@clinic.test", "--layer",
                    "primary", "--from", "2026-03-07 22:00", "--until", "2026-03-07 21:00")

    assert later.exit_code == 0, later.output
    assert later.stderr.strip() == (
        "note: override #1 already takes Ben Okafor off call (every layer) from 2026-03-07 "
        "18:00 to 2026-03-07 23:00; where the two overlap this one changes nothing")
    # 22:00 to 23:00 stays Maya's; from 23:00 nobody holds primary until the hand-off
    assert layer_lines(hub(runner, "oncall", "--at", "2026-03-07 22:30").output)[0].startswith(
        "  primary  Maya Chen")
    assert layer_lines(hub(runner, "oncall", "--at", "2026-03-07 23:30").output) == [
        "  primary  nobody on call"]
    assert backwards.exit_code == 2 and "must be after --from" in backwards.output
    with rt.sessions() as session:
        assert len(session.scalars(select(ScheduleOverride)).all()) == 2
    assert hub(runner, "override", "remove", "1").exit_code == 0
    assert hub(runner, "override", "remove", "2").exit_code == 0
    assert hub(runner, "override", "list", "--all").output == "no overrides\n"


def test_ben_and_nora_swap_a_night_and_each_works_the_others(rt, runner, clinic):
    nights(runner)

    swapped = hub(runner, "swap", "add", "ben@clinic.test", "2026-03-07 12:00",
                  "nora@clinic.test", "2026-03-08 12:00")
    saturday = hub(runner, "oncall", "--at", "2026-03-07 12:00")
    sunday = hub(runner, "oncall", "--at", "2026-03-08 12:00")
    monday = hub(runner, "oncall", "--at", "2026-03-09 12:00")

    assert swapped.exit_code == 0, swapped.output
    assert swapped.output.startswith("swap #1: Nora Reyes takes Ben Okafor's on-call (primary), "
                                     "2026-03-07 02:00 to 2026-03-08 03:00; Ben Okafor takes")
    assert "Nora Reyes" in layer_lines(saturday.output)[0]
    assert "swapped with Ben Okafor (swap #1)" in layer_lines(saturday.output)[0]
    assert "Ben Okafor" in layer_lines(sunday.output)[0]
    assert "swapped with Nora Reyes (swap #1)" in layer_lines(sunday.output)[0]
    assert "Maya Chen" in layer_lines(monday.output)[0]
    assert hub(runner, "swap", "list", "--all").output.startswith("#1 swap: ")
    # March is past: the plain list says why it shows nothing
    assert hub(runner, "swap", "list").output == "no swaps not yet over (--all: past ones too)\n"
    assert hub(runner, "swap", "remove", "2").exit_code == 0  # either half removes both
    assert "Ben Okafor" in layer_lines(hub(runner, "oncall", "--at",
                                           "2026-03-07 12:00").output)[0]
    assert [e["override_ids"] for e in events(rt, "schedule.swap_removed")] == [[2, 1]]


def test_a_swap_of_a_turn_someone_does_not_hold_is_refused(rt, runner, clinic):
    nights(runner)

    result = hub(runner, "swap", "add", "ben@clinic.test", "2026-03-08 12:00",
                 "nora@clinic.test", "2026-03-09 12:00")

    assert result.exit_code == 2 and "Ben Okafor holds no primary turn then" in result.output


# --- the continuity chain --------------------------------------------------------------------

def chain(rt, practice: Practice, at: datetime, target: str = "continuity"):
    with rt.sessions() as session:
        contact = Contact(patient=session.get(type(practice.walter), practice.walter.id),
                          urgency="routine")
        picks = explain_target(session, target, contact, at)
        return [(p.staff.name, p.why, p.passed) for p in picks]


def add_care_team(rt, practice: Practice, *members: tuple[str, str]) -> None:
    with rt.session() as session:
        team = CareTeam(patient_id=practice.walter.id, status="active")
        for email, role in members:
            person = session.scalar(select(Staff).where(Staff.email == email))
            team.members.append(CareTeamMember(staff_id=person.id, role_display=role))
        session.add(team)


def test_walter_reaches_the_care_team_nurse_on_call_before_the_practice_primary(
        rt, runner, clinic):
    nights(runner)  # Ben holds primary on Saturday 7 March
    hub(runner, "override", "add", "add", "--by", "maya@clinic.test", "--layer", "backup",
        "--from", "2026-03-07 00:00", "--until", "2026-03-08 00:00")
    add_care_team(rt, clinic, ("maya@clinic.test", "nurse"), ("omar@clinic.test", "physician"))
    at = datetime(2026, 3, 7, 12, tzinfo=NY)

    assert chain(rt, clinic, at) == [(
        "Maya Chen", "on Walter's care team, backup on call",
        ("the care manager Nora Reyes is not on shift",))]
    assert chain(rt, clinic, at, "physician") == [
        ("Omar Haddad", "Walter's physician (care team)", ())]


def test_with_nobody_on_primary_walter_reaches_the_physician_then_the_manager(rt, clinic):
    at = datetime(2026, 3, 7, 12, tzinfo=NY)

    [(name, why, passed)] = chain(rt, clinic, at)

    assert (name, why) == ("Omar Haddad", "every active physician (role:physician)")
    assert passed == ("the care manager Nora Reyes is not on shift", "nobody holds primary")
    with rt.session() as session:
        session.get(Staff, session.scalar(select(Staff.id).where(
            Staff.email == "omar@clinic.test"))).active = False
    assert chain(rt, clinic, at)[0][:2] == ("Maya Chen", "every active manager (role:manager)")


def test_the_care_manager_covering_tonight_is_paged_first_by_the_engine(
        rt, runner, clinic, twilio, twilio_api):
    today = utcnow().astimezone(NY).date() - timedelta(days=1)
    result = hub(runner, "rotation", "add", "nights", "ben@clinic.test", "--every", "daily",
                 "--start", today.isoformat())
    assert result.exit_code == 0, result.output
    now = utcnow().astimezone(NY)
    hub(runner, "override", "add", "replace", "--by", "nora@clinic.test", "--for",
        "ben@clinic.test", "--from", f"{now - timedelta(hours=1):%Y-%m-%d %H:%M}",
        "--until", f"{now + timedelta(hours=2):%Y-%m-%d %H:%M}")

    twilio.sms("+12025550142", "question about my inhaler")

    (page,) = twilio_api.wait_for(1)
    assert page.form["To"] == NORA  # Walter's own care manager, on call by the cover


@pytest.mark.parametrize("target", ["care_team", "physician", "schedule:nights",
                                    "person:nora@clinic.test", "role:physician"])
def test_a_policy_may_name_a_person_a_role_or_the_on_call_of_a_schedule(target):
    policy = parse_policy(f'[[steps]]\ntargets = ["{target}"]\nwait_minutes = 5\n')

    assert policy.steps[0].targets == (target,)


@pytest.mark.parametrize("target", ["schedule:", "person:nora", "person: x@y", "team"])
def test_a_policy_target_that_names_nothing_is_refused(target):
    with pytest.raises(PolicyError, match="step 1"):
        parse_policy(f'[[steps]]\ntargets = ["{target}"]\nwait_minutes = 5\n')


def test_schedule_and_person_targets_resolve_for_walter(rt, runner, clinic):
    nights(runner)
    at = datetime(2026, 3, 8, 12, tzinfo=NY).astimezone(UTC)

    assert [n for n, *_ in chain(rt, clinic, at, "schedule:nights")] == ["Nora Reyes"]
    assert [n for n, *_ in chain(rt, clinic, at, "schedule:primary")] == ["Nora Reyes"]
    assert [n for n, *_ in chain(rt, clinic, at, "person:omar@clinic.test")] == ["Omar Haddad"]
    assert chain(rt, clinic, at, "person:ghost@clinic.test") == []
    assert chain(rt, clinic, at, "care_manager")[0][:2] == (
        "Nora Reyes", "Walter's designated care manager, on shift")


def test_a_fortnight_of_leave_and_a_ten_day_calendar_shift_are_found_in_their_middle(
        rt, runner, clinic):
    with rt.session() as session:
        session.add(Shift(staff_id=clinic.ben.id, layer="primary", source_key="locum/1",
                          starts_at=datetime(2026, 6, 1, 8, tzinfo=NY),
                          ends_at=datetime(2026, 6, 11, 8, tzinfo=NY)))
    hub(runner, "override", "add", "replace", "--by", "nora@clinic.test", "--for",
        "ben@clinic.test", "--from", "2026-06-03 08:00", "--until", "2026-06-17 08:00")

    assert layer_lines(hub(runner, "oncall", "--at", "2026-06-02 12:00").output) == [
        "  primary  Ben Okafor, 2026-06-01 08:00 to 2026-06-03 08:00"]
    assert layer_lines(hub(runner, "oncall", "--at", "2026-06-09 12:00").output) == [
        "  primary  Nora Reyes, 2026-06-03 08:00 to 2026-06-11 08:00  "
        "(covering Ben Okafor (override #1))"]


def test_the_engine_reads_the_schedule_in_one_query_and_names_whom_the_manager_sees(
        rt, runner, clinic):
    nights(runner)
    hub(runner, "override", "add", "replace", "--by", "maya@clinic.test", "--for",
        "ben@clinic.test", "--from", "2026-03-07 18:00", "--until", "2026-03-07 23:00")
    hub(runner, "swap", "add", "nora@clinic.test", "2026-03-08 12:00", "maya@clinic.test",
        "2026-03-09 12:00")
    with rt.session() as session:
        session.add(Shift(staff_id=clinic.nora.id, layer="backup", source_key="ics/1",
                          starts_at=datetime(2026, 3, 6, 8, tzinfo=NY),
                          ends_at=datetime(2026, 3, 10, 8, tzinfo=NY)))
    statements: list[str] = []

    def record(conn, cursor, sql, *_) -> None:
        statements.append(sql)

    event.listen(rt.engine, "before_cursor_execute", record)
    try:
        for hour in range(0, 96, 3):
            at = datetime(2026, 3, 7, 0, tzinfo=NY).astimezone(UTC) + timedelta(hours=hour)
            with rt.sessions() as session:
                contact = Contact(patient=session.get(Patient, clinic.walter.id))
                for target in ("primary", "backup", "schedule:nights", "continuity"):
                    statements.clear()
                    engine = [p.name for p in resolve_target(session, target, contact, at)]
                    schedule_reads = [s for s in statements if "shifts" in s]
                    shown = [p.staff.name for p in explain_target(session, target, contact, at)]
                    assert engine == shown, (at, target)
                    assert len(schedule_reads) == 1
    finally:
        event.remove(rt.engine, "before_cursor_execute", record)
