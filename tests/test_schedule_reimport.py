"""The scheduler exports the on-call calendar from Google Calendar each week and the manager
imports it again: the nights in it come in once, and an event deleted from it leaves the
schedule from now on (the nights already worked stay on record)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.models import Shift, Staff
from routing.ical_import import import_schedule

NY = ZoneInfo("America/New_York")
MARCH_4 = datetime(2026, 3, 4, 17, tzinfo=UTC)

# As Google Calendar writes it: its own VTIMEZONE, X-WR-CALNAME, folded lines, ATTENDEE
# parameters, weekend nights by RRULE with an EXDATE, one night moved by RECURRENCE-ID.
EXPORT = """BEGIN:VCALENDAR
PRODID:-//Google Inc//Google Calendar 70.9054//EN
VERSION:2.0
CALSCALE:GREGORIAN
METHOD:PUBLISH
X-WR-CALNAME:Nurse on-call
X-WR-TIMEZONE:America/New_York
BEGIN:VTIMEZONE
TZID:America/New_York
X-LIC-LOCATION:America/New_York
BEGIN:DAYLIGHT
TZOFFSETFROM:-0500
TZOFFSETTO:-0400
TZNAME:EDT
DTSTART:19700308T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:-0400
TZOFFSETTO:-0500
TZNAME:EST
DTSTART:19701101T020000
RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU
END:STANDARD
END:VTIMEZONE
BEGIN:VEVENT
DTSTART;TZID=America/New_York:20260228T190000
DTEND;TZID=America/New_York:20260301T070000
RRULE:FREQ=WEEKLY;WKST=SU;UNTIL=20260329T045959Z;BYDAY=SA
EXDATE;TZID=America/New_York:20260314T190000
DTSTAMP:20260301T120000Z
UID:5hq0b3l1t8vsc2kp4c1l1a0n1e@google.com
ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;CN=Nora Re
 yes;X-NUM-GUESTS=0:mailto:nora.reyes@demo.clinic
CREATED:20260201T150000Z
LAST-MODIFIED:20260301T115900Z
SEQUENCE:2
STATUS:CONFIRMED
SUMMARY:Night on call
TRANSP:OPAQUE
END:VEVENT
BEGIN:VEVENT
DTSTART;TZID=America/New_York:20260321T200000
DTEND;TZID=America/New_York:20260322T070000
DTSTAMP:20260301T120000Z
UID:5hq0b3l1t8vsc2kp4c1l1a0n1e@google.com
RECURRENCE-ID;TZID=America/New_York:20260321T190000
ATTENDEE;CUTYPE=INDIVIDUAL;PARTSTAT=ACCEPTED;CN=Ben Okafor:mailto:ben.okafor@d
 emo.clinic
SEQUENCE:3
STATUS:CONFIRMED
SUMMARY:Night on call
END:VEVENT
BEGIN:VEVENT
DTSTART;VALUE=DATE:20260307
DTEND;VALUE=DATE:20260309
DTSTAMP:20260301T120000Z
UID:7b1k2m9q4r@google.com
SUMMARY:Backup - Maya Chen
STATUS:CONFIRMED
END:VEVENT
END:VCALENDAR
"""
WEEKEND_BACKUP = EXPORT[EXPORT.index("BEGIN:VEVENT\nDTSTART;VALUE=DATE"):
                        EXPORT.index("END:VCALENDAR")]


@pytest.fixture
def staff(session: Session) -> dict[str, Staff]:
    people = {name: Staff(name=full, email=f"{email}@demo.clinic", role="nurse")
              for name, full, email in (("nora", "Nora Reyes", "nora.reyes"),
                                        ("ben", "Ben Okafor", "ben.okafor"),
                                        ("maya", "Maya Chen", "maya.chen"))}
    session.add_all(people.values())
    session.flush()
    return people


def rows(session: Session) -> list[tuple[str, str, str, str | None]]:
    names = {s.id: s.name.split()[0] for s in session.scalars(select(Staff))}
    return [(f"{s.starts_at.astimezone(NY):%m-%d %H:%M}", names[s.staff_id], s.layer,
             s.calendar) for s in session.scalars(select(Shift).order_by(Shift.starts_at))]


def test_a_google_calendar_export_loads_its_nights_in_new_york_time(session, staff):
    summary = import_schedule(session, EXPORT, tz=NY, now=MARCH_4)

    assert rows(session) == [
        ("03-07 00:00", "Maya", "backup", "Nurse on-call"),  # all day, two days
        ("03-07 19:00", "Nora", "primary", "Nurse on-call"),
        # 14 March is EXDATEd; 19:00 stays 19:00 local after the clocks change on 8 March
        ("03-21 20:00", "Ben", "primary", "Nurse on-call"),  # moved an hour, Ben takes it
        ("03-28 19:00", "Nora", "primary", "Nurse on-call"),
    ]
    assert summary.unmatched == []


def test_the_same_export_again_changes_nothing(session, staff):
    import_schedule(session, EXPORT, tz=NY, now=MARCH_4)
    session.commit()
    before = [(s.id, s.starts_at) for s in session.scalars(select(Shift))]

    again = import_schedule(session, EXPORT, tz=NY, now=MARCH_4)

    assert (again.created, again.updated, again.removed, again.unchanged) == (0, 0, 0, 4)
    assert [(s.id, s.starts_at) for s in session.scalars(select(Shift))] == before


def drop_the_weekend_backup(session: Session, on: datetime) -> int:
    """Import on 1 March, then again ``on`` a later day without the weekend backup event (the
    scheduler deleted it in Google Calendar); return how many shifts the re-import removed."""
    import_schedule(session, EXPORT, tz=NY, now=datetime(2026, 3, 1, 17, tzinfo=UTC))
    session.commit()
    return import_schedule(session, EXPORT.replace(WEEKEND_BACKUP, ""), tz=NY, now=on).removed


def test_an_event_deleted_from_the_calendar_leaves_the_schedule_from_now_on(session, staff):
    removed = drop_the_weekend_backup(session, datetime(2026, 3, 8, 6, tzinfo=UTC))

    assert removed == 1  # Sunday 1 a.m.: the rest of the weekend is off Maya's schedule
    assert [r[:3] for r in rows(session)] == [
        ("02-28 19:00", "Nora", "primary"), ("03-07 19:00", "Nora", "primary"),
        ("03-21 20:00", "Ben", "primary"), ("03-28 19:00", "Nora", "primary")]


def test_a_weekend_already_worked_stays_on_record_when_its_event_is_deleted(session, staff):
    removed = drop_the_weekend_backup(session, datetime(2026, 3, 12, 17, tzinfo=UTC))

    assert removed == 0
    assert ("03-07 00:00", "Maya", "backup", "Nurse on-call") in rows(session)


def test_another_calendar_does_not_remove_this_ones_shifts(session, staff):
    import_schedule(session, EXPORT, tz=NY, now=MARCH_4)
    physicians = EXPORT.replace("X-WR-CALNAME:Nurse on-call", "X-WR-CALNAME:Physicians") \
        .replace(WEEKEND_BACKUP, "").replace("5hq0b3l1t8vsc2kp4c1l1a0n1e", "other-uid")

    other = import_schedule(session, physicians, tz=NY, now=MARCH_4)

    assert other.removed == 0
    assert ("03-07 00:00", "Maya", "backup", "Nurse on-call") in rows(session)
