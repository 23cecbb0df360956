"""A practice loads its on-call calendar (iCalendar) and the hub knows who is on call when."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub import contact_log
from hub.cli.schedule import import_schedule_command
from hub.db import make_engine, make_session_factory, session_scope
from hub.models import LogEntry, Shift, Staff
from routing.ical_import import ScheduleImportError, import_schedule

NEW_YORK = ZoneInfo("America/New_York")
DEMO = Path(__file__).resolve().parent.parent / "config" / "demo_schedule.ics"
FEB_20 = datetime(2026, 2, 20, 12, tzinfo=UTC)


def calendar(*events: str) -> str:
    """A VCALENDAR around the given VEVENT bodies (each without BEGIN/END lines)."""
    body = "".join(f"BEGIN:VEVENT\nDTSTAMP:20260101T000000Z\n{e.strip()}\nEND:VEVENT\n"
                   for e in events)
    return f"BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//test//test//EN\n{body}END:VCALENDAR\n"


NIGHTS = """
UID:nights-nora
DTSTART;TZID=America/New_York:20260223T190000
DTEND;TZID=America/New_York:20260224T070000
RRULE:FREQ=WEEKLY;COUNT=4
SUMMARY:Night on call
ATTENDEE;CN=Nora Reyes:mailto:nora.reyes@demo.clinic
"""


@pytest.fixture
def staff(session: Session) -> dict[str, Staff]:
    people = {
        "nora": Staff(name="Nora Reyes", email="nora.reyes@demo.clinic", role="nurse"),
        "ben": Staff(name="Ben Okafor", email="ben.okafor@demo.clinic", role="nurse"),
        "maya": Staff(name="Maya Chen", email="maya.chen@demo.clinic", role="manager"),
    }
    session.add_all(people.values())
    session.flush()
    return people


def shifts(session: Session) -> list[Shift]:
    return list(session.scalars(select(Shift).order_by(Shift.starts_at, Shift.id)))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_weekly_rrule_in_new_york_becomes_utc_shifts_across_the_dst_change(session, staff):
    summary = import_schedule(session, calendar(NIGHTS), tz=NEW_YORK, now=FEB_20)

    rows = shifts(session)
    assert [(s.starts_at, s.ends_at) for s in rows] == [
        (utc(2026, 2, 24, 0), utc(2026, 2, 24, 12)),
        (utc(2026, 3, 3, 0), utc(2026, 3, 3, 12)),
        # 8 March 2026: New York moves to EDT; 19:00 local is now 23:00 UTC.
        (utc(2026, 3, 9, 23), utc(2026, 3, 10, 11)),
        (utc(2026, 3, 16, 23), utc(2026, 3, 17, 11)),
    ]
    assert {(s.staff_id, s.layer) for s in rows} == {(staff["nora"].id, "primary")}
    assert rows[2].source_key == "nights-nora/2026-03-09T23:00:00+00:00"
    assert (summary.events, summary.created, summary.removed) == (1, 4, 0)


def test_only_occurrences_inside_the_horizon_become_shifts(session, staff):
    nightly = NIGHTS.replace("FREQ=WEEKLY;COUNT=4", "FREQ=DAILY")
    import_schedule(session, calendar(nightly), tz=NEW_YORK, now=FEB_20, horizon_days=7)

    rows = shifts(session)
    assert rows[0].starts_at == utc(2026, 2, 24, 0)
    assert rows[-1].starts_at < FEB_20 + timedelta(days=7)
    assert len(rows) == 4  # the nights of 23 to 26 February


def test_an_exdate_takes_that_night_off_the_schedule(session, staff):
    with_exdate = NIGHTS + "EXDATE;TZID=America/New_York:20260302T190000\n"
    import_schedule(session, calendar(with_exdate), tz=NEW_YORK, now=FEB_20)

    assert [s.starts_at.date().isoformat() for s in shifts(session)] == [
        "2026-02-24", "2026-03-09", "2026-03-16"]


def test_importing_the_same_calendar_twice_changes_nothing(session, staff):
    first = import_schedule(session, calendar(NIGHTS), tz=NEW_YORK, now=FEB_20)
    session.commit()
    before = [(s.id, s.source_key, s.starts_at, s.ends_at) for s in shifts(session)]

    again = import_schedule(session, calendar(NIGHTS), tz=NEW_YORK, now=FEB_20)
    session.commit()

    assert [(s.id, s.source_key, s.starts_at, s.ends_at) for s in shifts(session)] == before
    assert (first.created, first.unchanged) == (4, 0)
    assert (again.created, again.updated, again.unchanged, again.removed) == (0, 0, 4, 0)


def test_reimport_removes_an_exdated_night_and_moves_an_overridden_one(session, staff):
    backup = ("UID:backup-maya\nDTSTART:20260225T000000Z\nDTEND:20260226T000000Z\n"
              "SUMMARY:Backup\nATTENDEE:mailto:maya.chen@demo.clinic")
    import_schedule(session, calendar(NIGHTS, backup), tz=NEW_YORK, now=FEB_20)
    session.commit()

    edited = calendar(
        NIGHTS + "EXDATE;TZID=America/New_York:20260302T190000\n",
        # Ben takes the night of 16 March, an hour later than usual.
        "UID:nights-nora\nRECURRENCE-ID;TZID=America/New_York:20260316T190000\n"
        "DTSTART;TZID=America/New_York:20260316T200000\n"
        "DTEND;TZID=America/New_York:20260317T070000\n"
        "SUMMARY:Night on call\nATTENDEE:mailto:ben.okafor@demo.clinic",
    )  # the backup event is not in this file: its shift stays
    summary = import_schedule(session, edited, tz=NEW_YORK, now=FEB_20)
    session.commit()

    assert [(s.starts_at, s.staff_id, s.layer) for s in shifts(session)] == [
        (utc(2026, 2, 24, 0), staff["nora"].id, "primary"),
        (utc(2026, 2, 25, 0), staff["maya"].id, "backup"),
        (utc(2026, 3, 9, 23), staff["nora"].id, "primary"),
        (utc(2026, 3, 17, 0), staff["ben"].id, "primary"),
    ]
    assert (summary.created, summary.unchanged, summary.removed) == (1, 2, 2)


def test_a_changed_end_time_updates_the_shift_in_place(session, staff):
    import_schedule(session, calendar(NIGHTS), tz=NEW_YORK, now=FEB_20)
    session.commit()
    ids = [s.id for s in shifts(session)]

    longer = NIGHTS.replace("20260224T070000", "20260224T080000")
    summary = import_schedule(session, calendar(longer), tz=NEW_YORK, now=FEB_20)

    assert [s.id for s in shifts(session)] == ids
    assert shifts(session)[0].ends_at == utc(2026, 2, 24, 13)
    assert (summary.updated, summary.created, summary.removed) == (4, 0, 0)


def test_attendee_mailto_names_the_staff_member_whatever_its_case(session, staff):
    event = ("UID:a\nDTSTART:20260301T000000Z\nDTEND:20260301T120000Z\nSUMMARY:On call\n"
             "ATTENDEE;CN=Front desk:mailto:desk@demo.clinic\n"
             "ATTENDEE;CN=Ben:MAILTO:Ben.Okafor@Demo.Clinic\n"
             "ATTENDEE:mailto:nora.reyes@demo.clinic")
    summary = import_schedule(session, calendar(event), tz=NEW_YORK, now=FEB_20)

    assert [s.staff_id for s in shifts(session)] == [staff["ben"].id]
    assert summary.unmatched == []


def test_summary_names_the_staff_member_when_no_attendee_does(session, staff):
    events = [
        "UID:s1\nDTSTART:20260301T000000Z\nDTEND:20260301T120000Z\nSUMMARY:On call: nora REYES",
        "UID:s2\nDTSTART:20260301T000000Z\nDTEND:20260301T120000Z\nSUMMARY:Ben Okafor (backup)",
        "UID:s3\nDTSTART:20260302T000000Z\nDTEND:20260302T120000Z\nSUMMARY:Maya Chen\n"
        "ATTENDEE:mailto:maya.personal@example.com",
    ]
    summary = import_schedule(session, calendar(*events), tz=NEW_YORK, now=FEB_20)

    assert [(s.staff_id, s.layer) for s in shifts(session)] == [
        (staff["nora"].id, "primary"), (staff["ben"].id, "backup"), (staff["maya"].id, "primary")]
    assert summary.unmatched == []


def test_an_unknown_attendee_is_reported_and_the_other_events_still_load(session, staff):
    stranger = ("UID:locum-7\nDTSTART:20260301T000000Z\nDTEND:20260301T120000Z\n"
                "RRULE:FREQ=DAILY;COUNT=3\nSUMMARY:Locum cover\n"
                "ATTENDEE:mailto:locum@agency.example")
    summary = import_schedule(session, calendar(stranger, NIGHTS), tz=NEW_YORK, now=FEB_20)

    assert len(shifts(session)) == 4
    [unmatched] = summary.unmatched
    assert (unmatched.uid, unmatched.summary) == ("locum-7", "Locum cover")
    assert unmatched.occurrences == 3
    assert "locum@agency.example" in unmatched.reason
    assert "locum-7" in str(unmatched) and "1 event(s) skipped" in str(summary)


def test_a_summary_naming_two_staff_members_is_reported_not_guessed(session, staff):
    event = ("UID:swap\nDTSTART:20260301T000000Z\nDTEND:20260301T120000Z\n"
             "SUMMARY:Nora Reyes covering for Ben Okafor")
    summary = import_schedule(session, calendar(event), tz=NEW_YORK, now=FEB_20)

    assert shifts(session) == []
    assert "several staff" in summary.unmatched[0].reason


def test_an_inactive_staff_member_is_not_given_shifts(session, staff):
    staff["ben"].active = False
    session.flush()
    event = ("UID:b\nDTSTART:20260301T000000Z\nDTEND:20260301T120000Z\nSUMMARY:On call\n"
             "ATTENDEE:mailto:ben.okafor@demo.clinic")
    summary = import_schedule(session, calendar(event), tz=NEW_YORK, now=FEB_20)

    assert shifts(session) == [] and summary.unmatched[0].uid == "b"


def test_backup_category_puts_the_shift_on_the_backup_layer(session, staff):
    events = [
        "UID:c1\nDTSTART:20260301T000000Z\nDTEND:20260301T120000Z\nSUMMARY:Maya Chen\n"
        "CATEGORIES:On-call,BACKUP",
        "UID:c2\nDTSTART:20260301T000000Z\nDTEND:20260301T120000Z\nSUMMARY:Nora Reyes\n"
        "CATEGORIES:primary",
        "UID:c3\nDTSTART:20260301T000000Z\nDTEND:20260301T120000Z\nSUMMARY:Ben Okafor\n"
        "CATEGORIES:Nursing\nCATEGORIES:Backup",
    ]
    import_schedule(session, calendar(*events), tz=NEW_YORK, now=FEB_20)

    layers = {s.staff_id: s.layer for s in shifts(session)}
    assert layers == {staff["maya"].id: "backup", staff["nora"].id: "primary",
                      staff["ben"].id: "backup"}


def test_cancelled_events_and_cancelled_occurrences_give_no_shift(session, staff):
    events = [
        "UID:x\nSTATUS:CANCELLED\nDTSTART:20260301T000000Z\nDTEND:20260301T120000Z\n"
        "SUMMARY:Nora Reyes",
        NIGHTS,
        "UID:nights-nora\nRECURRENCE-ID;TZID=America/New_York:20260309T190000\n"
        "DTSTART;TZID=America/New_York:20260309T190000\n"
        "DTEND;TZID=America/New_York:20260310T070000\nSTATUS:CANCELLED\n"
        "SUMMARY:Night on call\nATTENDEE:mailto:nora.reyes@demo.clinic",
    ]
    import_schedule(session, calendar(*events), tz=NEW_YORK, now=FEB_20)

    assert [s.starts_at.date().isoformat() for s in shifts(session)] == [
        "2026-02-24", "2026-03-03", "2026-03-16"]


def test_floating_times_and_all_day_events_are_read_in_the_practice_time_zone(session, staff):
    events = [
        "UID:f\nDTSTART:20260301T190000\nDTEND:20260302T070000\nSUMMARY:Nora Reyes",
        "UID:d\nDTSTART;VALUE=DATE:20260308\nDTEND;VALUE=DATE:20260309\nSUMMARY:Ben Okafor",
    ]
    import_schedule(session, calendar(*events), tz=NEW_YORK, now=FEB_20)

    assert [(s.starts_at, s.ends_at) for s in shifts(session)] == [
        (utc(2026, 3, 2, 0), utc(2026, 3, 2, 12)),
        (utc(2026, 3, 8, 5), utc(2026, 3, 9, 4)),  # the 23-hour day of the DST change
    ]


@pytest.mark.parametrize("data, reason", [
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "not an iCalendar file"),
    ("", "not an iCalendar file"),
    ('{"resourceType": "Bundle"}', "not an iCalendar file"),
    ("BEGIN:VEVENT\nUID:x\nDTSTART:20260301T000000Z\nEND:VEVENT\n", "not a VCALENDAR"),
    ("BEGIN:VCALENDAR\nVERSION:2.0\nEND:VCALENDAR\n", "no events"),
    (calendar("UID:b\nDTSTART:next tuesday\nSUMMARY:Nora Reyes"), "event b has an unreadable DTS"),
    (calendar("UID:nostart\nSUMMARY:Nora Reyes"), "event nostart has no DTSTART"),
    (calendar("UID:r\nDTSTART:20260301T000000Z\nRRULE:FREQ=SOMETIMES"), "cannot expand"),
])
def test_anything_but_an_icalendar_file_is_refused_with_the_reason(session, staff, data, reason):
    with pytest.raises(ScheduleImportError, match=reason):
        import_schedule(session, data, tz=NEW_YORK, now=FEB_20)
    assert shifts(session) == []


def on_call_at(session: Session, layer: str, at: datetime) -> list[int]:
    return list(session.scalars(select(Shift.staff_id).where(
        Shift.layer == layer, Shift.starts_at <= at, Shift.ends_at > at)))


@pytest.mark.parametrize("now, first_sample", [
    (utc(2026, 1, 1, 5), utc(2026, 1, 1, 5)),  # New Year's midnight in New York
    (utc(2026, 2, 25), utc(2026, 2, 25)),  # across the March DST change
    (utc(2026, 10, 20), utc(2026, 10, 22)),  # across the November DST change
])
def test_the_demo_calendar_always_has_one_primary_and_one_backup_on_call(
        session, staff, now, first_sample):
    summary = import_schedule(session, DEMO.read_bytes(), tz=NEW_YORK, now=now, horizon_days=40)
    session.commit()

    assert summary.unmatched == [] and summary.events == 5
    primaries = set()
    for hour in range(0, 21 * 24, 5):
        at = first_sample + timedelta(hours=hour)
        primary, backup = on_call_at(session, "primary", at), on_call_at(session, "backup", at)
        assert len(primary) == 1 and len(backup) == 1, at
        assert backup == [staff["maya"].id]
        primaries.update(primary)
    assert primaries == {staff["nora"].id, staff["ben"].id}


def test_the_demo_rotation_hands_over_at_eight_in_the_morning_new_york_time(session, staff):
    import_schedule(session, DEMO.read_bytes(), tz=NEW_YORK, now=utc(2026, 3, 1))

    handover = datetime(2026, 3, 9, 8, tzinfo=NEW_YORK)  # the Monday after the DST change
    assert on_call_at(session, "primary", handover - timedelta(seconds=1)) == [staff["nora"].id]
    assert on_call_at(session, "primary", handover) == [staff["ben"].id]


@pytest.fixture
def cli_app(database_url: str, cipher) -> Iterator[Flask]:
    """A Flask app whose runtime has just what the command uses: the settings' zone, sessions."""
    engine = make_engine(database_url)
    factory = make_session_factory(engine)
    with session_scope(factory) as session:
        session.add(Staff(name="Nora Reyes", email="nora.reyes@demo.clinic"))
    app = Flask(__name__)
    app.extensions["hub"] = SimpleNamespace(
        settings=SimpleNamespace(tz=NEW_YORK), session=lambda: session_scope(factory))
    app.config["factory"] = factory
    yield app
    engine.dispose()


def test_the_command_loads_the_file_warns_about_strangers_and_audits_the_import(
        cli_app, tmp_path):
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y%m%dT%H0000Z")
    path = tmp_path / "oncall.ics"
    path.write_text(calendar(
        f"UID:n\nDTSTART:{tomorrow}\nDURATION:PT12H\nSUMMARY:Nora Reyes",
        f"UID:s\nDTSTART:{tomorrow}\nDURATION:PT12H\nSUMMARY:Locum",
    ))

    result = cli_app.test_cli_runner().invoke(import_schedule_command, [str(path), "--days", "7"])

    assert result.exit_code == 0, result.output
    assert "2 event(s) read: 1 shift(s) created" in result.stdout
    assert "warning: event s (Locum)" in result.stderr
    with cli_app.config["factory"]() as session:
        assert len(shifts(session)) == 1
        [entry] = session.scalars(select(LogEntry)).all()
        assert (entry.event, entry.actor) == ("schedule.import", "cli")
        assert contact_log.verify(session)[1] is None


def test_the_command_refuses_a_file_that_is_not_a_calendar(cli_app, tmp_path):
    path = tmp_path / "oncall.ics"
    path.write_text("Name,Start,End\nNora Reyes,2026-03-01,2026-03-02\n")

    result = cli_app.test_cli_runner().invoke(import_schedule_command, [str(path)])

    assert result.exit_code == 1
    assert result.stderr.startswith("error: not an iCalendar file")
    with cli_app.config["factory"]() as session:
        assert session.scalars(select(LogEntry)).all() == []
