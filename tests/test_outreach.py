"""Outreach stories: the hub texts a heart-failure patient for her weight at 8 a.m. her time
and her answer pages at once; reminders keep the patient's clock across daylight saving and
wait out quiet hours; STOP stops everything but Twilio's confirmation; a care manager's call
counts as CCM time; two engines never send faster than the practice number's rate."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from hub import care_time, outreach
from hub.cli import cli
from hub.models import Contact, LogEntry, Outbound, Outreach, Patient, PlanRule, Shift, utcnow
from messages import engine, kick, paced_send, webhooks
from tests.conftest import ACCOUNT_SID
from tests.practice import NORA, ROSA, WALTER, add_patients, seed


def tick(rt, now: datetime | None = None) -> None:
    """The engine's tick, then its paced sends (they leave on threads of their own)."""
    engine.tick(rt, now=now)
    paced_send.drain()


def at(monkeypatch, when: datetime) -> None:
    """The webhooks and their background work read this clock (as tick(rt, now) does)."""
    monkeypatch.setattr(webhooks, "utcnow", lambda: when)
    monkeypatch.setattr(kick, "utcnow", lambda: when)


def texts_to(twilio_api, number: str) -> list[str]:
    return [r.form["Body"] for r in twilio_api.sent_to(number) if r.resource == "Messages"]


def logged(rt, event: str) -> list[dict]:
    with rt.sessions() as session:
        return [json.loads(e.detail or "{}") for e in session.scalars(
            select(LogEntry).where(LogEntry.event == event).order_by(LogEntry.seq))]


def hub(runner, *args: str):
    result = runner.invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def on_call_through(rt, start: datetime, days: int = 3):
    """Ben on primary and Maya backup from ``start`` for ``days`` (the stories' own dates)."""
    with rt.sessions() as session:
        practice = seed(session, now=start)
        for shift in session.scalars(select(Shift)):
            shift.ends_at = start + timedelta(days=days)
        session.commit()
    return practice


# --- daily weights: 8 a.m. her time, a reading past her plan pages at once ---------------------

@pytest.fixture
def january(rt):
    return on_call_through(rt, datetime(2027, 1, 11, tzinfo=UTC))


def test_the_hub_texts_rosa_for_her_weight_at_eight_and_a_gain_past_her_plan_pages_at_once(
        rt, runner, twilio, twilio_api, january, monkeypatch):
    rosa = january.rosa
    with rt.sessions() as session:
        session.add(PlanRule(patient_id=rosa.id, code="R1", metric="weight_gain_day",
                             threshold=3, instruction="Peso sube 3 lb en un día: llame"))
        session.commit()
    hub(runner, "outreach", "timezone", "--patient", str(rosa.id), "America/Chicago")
    shown = hub(runner, "outreach", "plan", "--patient", str(rosa.id), "weights",
                "--starts", "2027-01-12")
    assert "next 2027-01-12 08:00 CST" in shown

    tick(rt, now=datetime(2027, 1, 12, 13, 59, tzinfo=UTC))  # 07:59 in Chicago
    assert texts_to(twilio_api, ROSA) == []
    tick(rt, now=datetime(2027, 1, 12, 14, 0, tzinfo=UTC))  # 08:00
    (ask,) = texts_to(twilio_api, ROSA)
    assert "responda con su peso de hoy" in ask and "STOP" in ask  # her language, no more
    assert twilio_api.sent_to(ROSA)[0].form["From"] == "+12025550100"  # the practice number

    at(monkeypatch, datetime(2027, 1, 12, 14, 20, tzinfo=UTC))
    twilio.sms(ROSA, "peso 181")
    assert not any("URGENT" in text for text in texts_to(twilio_api, "+12025550102"))

    tick(rt, now=datetime(2027, 1, 13, 14, 0, tzinfo=UTC))  # the next morning
    assert len(texts_to(twilio_api, ROSA)) == 2
    at(monkeypatch, datetime(2027, 1, 13, 14, 5, tzinfo=UTC))
    reply = twilio.sms(ROSA, "peso 185")

    assert "Peso sube 3 lb en un día: llame" in reply.text  # her plan's own words
    with rt.sessions() as session:
        answer = session.scalars(select(Contact).order_by(Contact.id.desc())).first()
        assert answer.urgency == "urgent"
        linked = session.scalars(select(Outreach).where(Outreach.reply_contact_id.is_not(None))
                                 .order_by(Outreach.id)).all()
    assert [o.reply_contact_id is not None for o in linked] == [True, True]
    assert linked[-1].reply_contact_id == answer.id
    page = texts_to(twilio_api, "+12025550102")[-1]  # Ben, her nurse, on call: at once
    assert page.startswith("URGENT care line page") and "185" not in page
    assert [e["kind"] for e in logged(rt, "outreach.replied")] == ["weights", "weights"]


# --- reminders keep the patient's clock ------------------------------------------------------

def test_a_reminder_set_for_1030_on_the_day_clocks_change_fires_once_at_1030(
        rt, runner, twilio_api, monkeypatch):
    practice = on_call_through(rt, datetime(2027, 3, 13, tzinfo=UTC))
    out = hub(runner, "reminder", "add", "--patient", str(practice.walter.id), "appointment",
              "2027-03-14 10:30")
    assert "sent 2027-03-14 10:30 EDT" in out  # clocks went forward at 2 a.m. that day

    for now in (datetime(2027, 3, 14, 14, 29, tzinfo=UTC),  # 10:29 EDT
                datetime(2027, 3, 14, 14, 30, tzinfo=UTC),  # 10:30 EDT
                datetime(2027, 3, 14, 15, 30, tzinfo=UTC),  # 10:30 had clocks not changed
                datetime(2027, 3, 15, 14, 30, tzinfo=UTC)):
        tick(rt, now=now)
        if now.minute == 29:
            assert texts_to(twilio_api, WALTER) == []

    (reminder,) = texts_to(twilio_api, WALTER)
    assert "appointment at 10:30 AM on Sunday, March 14" in reminder
    with rt.sessions() as session:
        (sent,) = session.scalars(select(Outbound).where(Outbound.kind == "outreach")).all()
        assert sent.sent_at == datetime(2027, 3, 14, 14, 30, tzinfo=UTC)


def test_a_daily_plan_stays_at_eight_local_across_the_clock_change(rt, runner):
    practice = on_call_through(rt, datetime(2027, 3, 12, tzinfo=UTC))
    hub(runner, "outreach", "plan", "--patient", str(practice.walter.id), "weights",
        "--starts", "2027-03-13")
    times = []
    for _day in (13, 14, 15):
        with rt.sessions() as session:
            plan = session.scalars(select(outreach.OutreachPlan)).one()
            times.append(plan.next_at)
        tick(rt, now=plan.next_at)
    assert times == [datetime(2027, 3, 13, 13, tzinfo=UTC), datetime(2027, 3, 14, 12, tzinfo=UTC),
                     datetime(2027, 3, 15, 12, tzinfo=UTC)]


def test_a_reminder_due_at_ten_at_night_waits_for_the_end_of_quiet_hours(
        rt, runner, twilio_api):
    practice = on_call_through(rt, datetime(2027, 1, 19, tzinfo=UTC))
    out = hub(runner, "reminder", "add", "--patient", str(practice.walter.id), "refill",
              "2027-01-20 22:00")
    assert "sent 2027-01-21 08:00 EST (after quiet hours)" in out

    tick(rt, now=datetime(2027, 1, 21, 3, 0, tzinfo=UTC))  # 22:00 EST
    tick(rt, now=datetime(2027, 1, 21, 12, 59, tzinfo=UTC))  # 07:59
    assert texts_to(twilio_api, WALTER) == []
    tick(rt, now=datetime(2027, 1, 21, 13, 0, tzinfo=UTC))  # 08:00
    (text,) = texts_to(twilio_api, WALTER)
    assert "refill is due" in text


def test_a_reminder_in_the_past_or_at_a_time_that_is_no_time_is_refused(rt, runner, practice):
    for when, said in (("2020-01-01 10:00", "already past"), ("tomorrow", "not a local date")):
        result = runner.invoke(cli, ["reminder", "add", "--patient", str(practice.walter.id),
                                     "appointment", when])
        assert result.exit_code == 2 and said in result.output
    result = runner.invoke(cli, ["outreach", "plan", "--patient", str(practice.walter.id),
                                 "weights", "--rrule", "FREQ=MINUTELY"])
    assert result.exit_code == 2 and "at most daily" in result.output


# --- STOP: nothing further but the confirmation; START: resumed -------------------------------

def test_walter_replies_stop_and_gets_nothing_further_until_start(
        rt, runner, twilio, twilio_api, january, monkeypatch):
    walter = january.walter
    hub(runner, "outreach", "plan", "--patient", str(walter.id), "weights", "--starts",
        "2027-01-12")
    tick(rt, now=datetime(2027, 1, 12, 13, 0, tzinfo=UTC))
    assert len(texts_to(twilio_api, WALTER)) == 1

    at(monkeypatch, datetime(2027, 1, 12, 13, 30, tzinfo=UTC))
    stop = twilio.sms(WALTER, "STOP")
    assert "<Message>" not in stop.text  # Twilio sends the confirmation itself
    tick(rt, now=datetime(2027, 1, 13, 13, 0, tzinfo=UTC))
    tick(rt, now=datetime(2027, 1, 13, 13, 0, 5, tzinfo=UTC))
    assert len(texts_to(twilio_api, WALTER)) == 1  # nothing further
    assert [e["reason"] for e in logged(rt, "outreach.skipped")] == ["opted out"]
    assert [e["keyword"] for e in logged(rt, "sms.opted_out")] == ["STOP"]

    at(monkeypatch, datetime(2027, 1, 13, 15, 0, tzinfo=UTC))
    twilio.sms(WALTER, "START")
    tick(rt, now=datetime(2027, 1, 14, 13, 0, tzinfo=UTC))
    assert len(texts_to(twilio_api, WALTER)) == 2  # resumed
    assert [e["keyword"] for e in logged(rt, "sms.opted_in")] == ["START"]


# --- a care manager's outreach call is CCM time -----------------------------------------------

def test_noras_outreach_call_rings_her_then_walter_and_its_length_counts_as_ccm_time(
        rt, twilio, twilio_api, practice):
    now = utcnow().replace(hour=17, minute=0)  # noon in New York: no quiet hours
    with rt.sessions() as session:
        walter, nora = session.get(Patient, practice.walter.id), session.get(
            type(practice.nora), practice.nora.id)
        outreach.add(session, walter, "call", now, outreach.Clock(rt.settings.tz, None), now,
                     "staff:nora", staff=nora, channel="call")
        session.commit()
    tick(rt, now=now + timedelta(seconds=1))
    (call,) = twilio_api.sent_to(NORA)
    assert call.resource == "Calls" and WALTER in call.form["Twiml"]
    assert "Walter" not in call.form["Twiml"]

    twilio.post("/twilio/status", {"CallSid": call.sid, "AccountSid": ACCOUNT_SID,
                                   "CallStatus": "completed", "CallDuration": "420"})
    twilio.post("/twilio/status", {"CallSid": call.sid, "AccountSid": ACCOUNT_SID,
                                   "CallStatus": "completed", "CallDuration": "420"})

    with rt.sessions() as session:
        start, end = care_time.month_bounds(now.astimezone(rt.settings.tz).strftime("%Y-%m"),
                                            rt.settings.tz)
        (month,) = care_time.month_totals(session, start, end)
    assert month.patient_id == practice.walter.id and month.clinical == 420  # once


def test_the_manager_sees_outreach_minutes_and_every_stop_and_start_on_the_ccm_page(
        rt, client, twilio, twilio_api, practice):
    import pyotp

    from hub.models import Staff
    from hub.staff_accounts import enroll_totp, set_password
    from tests.staff_login import sign_in

    now = utcnow()
    with rt.session() as session:
        outreach_row = outreach.add(session, session.get(Patient, practice.walter.id),
                                    "checkin", now, outreach.Clock(rt.settings.tz, None), now,
                                    "test")
        nora = session.get(Staff, practice.nora.id)
        from hub import outreach_time
        outreach_time.add_text_minutes(session, outreach_row, nora, 6, now, "cli:test")
        maya = session.get(Staff, practice.maya.id)
        set_password(maya, "pw-123456-long")
        secret = pyotp.parse_uri(enroll_totp(maya, "Care line")).secret
    twilio.sms(WALTER, "STOP")
    twilio.sms(WALTER, "START")
    assert sign_in(client, "maya@clinic.test", "pw-123456-long",
                   totp=secret).status_code == 302

    page = client.get("/manager/ccm").get_data(as_text=True)

    assert '<td data-label="Of which outreach">6</td>' in page
    whose = f'<td data-label="Whose number">patient {practice.walter.id}</td>'
    assert page.count(whose) == 2
    assert "no texts" in page and "texts resumed" in page
    assert "1 scheduled" in page


# --- pacing: two engines, one rate ------------------------------------------------------------

def test_two_engines_never_send_outreach_faster_than_the_number_allows(
        app, settings_for, rt, twilio_api, practice):
    from app import create_app

    rate = 10.0
    engines = [create_app({**settings_for, "HUB_OUTBOUND_PER_SECOND": str(rate),
                           "HUB_QUIET_HOURS": "off"})
               for _ in range(2)]
    numbers = [f"+1202555{3000 + i:04d}" for i in range(30)]
    now = utcnow()
    with rt.sessions() as session:
        patients = add_patients(session, practice, numbers)
        clock = outreach.Clock(rt.settings.tz, None)
        for patient in patients:
            outreach.add(session, patient, "checkin", now, clock, now, "test")
        session.commit()

    def run(engine_app) -> None:
        runtime = engine_app.extensions["hub"]
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and len(twilio_api.requests) < len(numbers):
            tick(runtime)
            time.sleep(0.05)

    threads = [threading.Thread(target=run, args=(one,)) for one in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for engine_app in engines:
        engine_app.extensions["hub"].engine.dispose()

    assert sorted(r.form["To"] for r in twilio_api.requests) == sorted(numbers)  # each once
    with rt.sessions() as session:
        slots = {row.provider_sid: row.next_attempt_at for row in session.scalars(
            select(Outbound).where(Outbound.kind == "outreach"))}
    ordered = sorted(slots.values())
    gaps = [(b - a).total_seconds() for a, b in zip(ordered, ordered[1:], strict=False)]
    assert min(gaps) >= 1 / rate - 1e-6  # one slot every 1/rate s, whichever engine took it
    wall = time.time() - time.monotonic()  # the fake's receipt times are monotonic
    for request in twilio_api.requests:  # and none left before its slot
        assert request.at + wall >= slots[request.sid].timestamp() - 0.005
