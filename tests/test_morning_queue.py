"""Routine texts at night wait for opening hours and arrive as a morning queue.

A refill request at midnight does not wake the on-call nurse: the patient is told when the
team will answer, the contact waits (in the inbox, as "queued"), and at opening it is paged to
the care team (a long queue within the SMS limit: the last SMS allowed names the rest).
Anything urgent is paged at once, day or night.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from hub.cli import cli
from hub.models import Contact, utcnow
from messages import kick
from messages.engine import tick
from routing import lifecycle
from routing.hours import HoursError, parse_hours
from routing.policy import PolicyError, parse_policy
from tests.practice import BEN, ROSA, WALTER

NEW_YORK = ZoneInfo("America/New_York")
WEEKDAYS = {day: "08:00-17:00" for day in ("monday", "tuesday", "wednesday", "thursday",
                                           "friday")}


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=NEW_YORK)


def test_opening_hours_across_nights_weekends_holidays_and_daylight_saving():
    hours = parse_hours({**WEEKDAYS, "closed": [date(2026, 12, 25)]}, "[hours]",
                        "America/New_York")
    assert hours.next_open(local("2026-11-27 00:10")) == local("2026-11-27 08:00")  # Friday
    assert hours.is_open(local("2026-11-27 08:00")) and not hours.is_open(local("2026-11-27 17:00"))
    assert hours.next_open(local("2026-11-27 17:30")) == local("2026-11-30 08:00")  # Monday
    assert hours.next_open(local("2026-12-24 23:00")) == local("2026-12-28 08:00")  # Christmas
    # The night the clocks spring forward: Monday's 08:00 is 12:00 UTC, not 13:00.
    assert hours.next_open(local("2026-03-08 02:30").astimezone(UTC)) == datetime(
        2026, 3, 9, 12, 0, tzinfo=UTC)
    assert hours.next_open(local("2026-11-01 01:30")) == datetime(2026, 11, 2, 13, 0, tzinfo=UTC)


@pytest.mark.parametrize(("table", "named"), [
    ({"monday": "8am-5pm"}, "monday"),
    ({"monday": "17:00-08:00"}, "closes before it opens"),
    ({"timezone": "Mars/Olympus", "monday": "08:00-17:00"}, "timezone"),
    ({}, "at least one weekday"),
    ({"monday": "08:00-17:00", "lunch": "12:00-13:00"}, "lunch"),
])
def test_a_bad_hours_table_is_refused_naming_the_field(table, named):
    with pytest.raises(HoursError, match=named):
        parse_hours(table, "[hours]", "America/New_York")


def test_waiting_for_opening_hours_needs_the_hours():
    steps = '[[steps]]\ntargets = ["primary"]\nwait_minutes = 5\n'
    with pytest.raises(PolicyError, match=r"no \[hours\] table"):
        parse_policy(steps + "[routine]\nwait_for_opening_hours = true\n", "escalation.toml")


@pytest.fixture
def policy_file(tmp_path: Path) -> Path:
    """Open every day around the clock except today (a holiday): tonight is closed."""
    today = utcnow().astimezone(NEW_YORK).date()
    path = tmp_path / "escalation.toml"
    days = "\n".join(f'{day} = "00:00-23:59"' for day in
                     ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
                      "sunday"))
    path.write_text(
        '[[steps]]\ntargets = ["continuity"]\nchannels = ["sms"]\nwait_minutes = 5\n'
        '[[steps]]\ntargets = ["backup"]\nchannels = ["sms"]\nwait_minutes = 5\n'
        '[routine]\nwait_for_opening_hours = true\n'
        f'[hours]\ntimezone = "America/New_York"\nclosed = [{today.isoformat()}]\n{days}\n')
    return path


def _opening() -> datetime:
    tomorrow = utcnow().astimezone(NEW_YORK).date() + timedelta(days=1)
    return datetime.combine(tomorrow, datetime.min.time(), NEW_YORK).astimezone(UTC)


def test_a_refill_request_at_night_waits_for_the_morning_and_the_patient_is_told_when(
        rt, twilio, twilio_api, practice):
    answer = twilio.sms(WALTER, "can you send a refill of my metoprolol")
    weekday = _opening().astimezone(NEW_YORK).strftime("%A")
    assert "office is closed" in answer.text and f"on {weekday}" in answer.text
    assert "911" in answer.text
    spanish = twilio.sms(ROSA, "necesito una cita para la próxima semana")
    assert "oficina está cerrada" in spanish.text
    kick.drain()
    assert twilio_api.requests == [], "nobody is woken for a refill"
    with rt.sessions() as session:
        assert set(session.scalars(select(Contact.status))) == {"queued"}

    tick(rt, now=_opening() + timedelta(minutes=1))
    morning = twilio_api.wait_for(2)
    assert [page.form["To"] for page in morning] == [BEN, BEN]  # the morning queue
    with rt.sessions() as session:
        assert set(session.scalars(select(Contact.status))) == {"paging"}


def test_an_urgent_text_at_night_is_paged_at_once(rt, twilio, twilio_api, practice):
    answer = twilio.sms(WALTER, "my chest hurts and my left arm is numb")
    assert "call 911 now" in answer.text
    sms, call = sorted(twilio_api.wait_for(2), key=lambda r: r.resource != "Messages")
    assert sms.form["To"] == BEN == call.form["To"] and sms.form["Body"].startswith("URGENT")


def test_a_queued_contact_taken_from_the_inbox_is_not_paged_in_the_morning(
        rt, twilio, twilio_api, practice):
    twilio.sms(WALTER, "question about my appointment next week")
    reply = twilio.sms(BEN, "ACK ALL")  # Ben was never paged: ACK ALL finds nothing of his
    assert "No open page" in reply.text
    with rt.sessions() as session:
        contact = session.scalars(select(Contact)).one()
        assert lifecycle.acknowledge(session, contact, practice.ben, utcnow(), via="web")
        session.commit()
    tick(rt, now=_opening() + timedelta(minutes=1))
    kick.drain()
    assert twilio_api.requests == []


def test_the_manager_sees_that_a_refill_request_tonight_waits_and_a_call_does_not(
        runner, practice):
    tonight = utcnow().astimezone(NEW_YORK).replace(hour=22, minute=0)
    opening = _opening().astimezone(NEW_YORK)

    result = runner.invoke(cli, ["oncall", "--at", f"{tonight:%Y-%m-%d %H:%M}",
                                 "--patient", str(practice.walter.id)])

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    text_at = lines.index(
        f"A routine text from patient {practice.walter.id} (Walter Kowalski) at "
        f"{tonight:%Y-%m-%d %H:%M} waits for the opening, {opening:%Y-%m-%d %H:%M} "
        "(the patient is told when to expect an answer), then pages:")
    call_at = lines.index(f"A routine call from patient {practice.walter.id} (Walter Kowalski) "
                          f"at {tonight:%Y-%m-%d %H:%M} pages at once:")
    assert lines[text_at + 1] == f"  step 1, {opening:%Y-%m-%d %H:%M}: continuity by sms"
    assert lines[text_at + 2].startswith("    Ben Okafor: primary on call")
    assert lines[call_at + 1] == f"  step 1, {tonight:%Y-%m-%d %H:%M}: continuity by sms"
    assert lines[-1] == "  (urgent contacts follow the policy's urgent steps)"
