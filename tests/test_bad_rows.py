"""A bad row is set aside, not a wall: a contact, timer or outbound message the engine fails
on again and again is quarantined (and the managers told once) while every other contact
texted at the same moment is paged as usual."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from hub import quarantine
from hub.cli import cli
from hub.models import Contact, LogEntry, Outbound, RowFailure, Timer
from messages import engine
from routing import intake, timers
from tests.practice import BEN, MAYA, ROSA, WALTER
from tests.test_core_line import later, tick_after

SECRET = "swollen ankles"  # in the failing contact's text: never in an error anyone sees


@pytest.fixture
def settings_for(settings_for):
    """Only the tick pages and sends (as web workers beside ``hub scheduler`` processes)."""
    return {**settings_for, "HUB_ENGINE": "separate"}


def _contact(rt, number_owner_id: int) -> Contact:
    with rt.sessions() as session:
        return session.scalars(select(Contact).where(Contact.patient_id == number_owner_id)).one()


def _alerts(twilio_api) -> list[str]:
    return [r.form["Body"] for r in twilio_api.sent_to(MAYA) if "set aside" in r.form["Body"]]


def _quarantine_entries(rt) -> list[LogEntry]:
    with rt.sessions() as session:
        return list(session.scalars(select(LogEntry).where(LogEntry.event == "engine.quarantined")))


def _no_secret_anywhere(rt, twilio_api) -> None:
    with rt.sessions() as session:
        errors = session.scalars(select(RowFailure.last_error)).all()
    details = [entry.detail for entry in _quarantine_entries(rt)]
    for text in [*errors, *details, *_alerts(twilio_api)]:
        assert SECRET not in text and "Walter" not in text


def test_a_contact_whose_intake_fails_is_set_aside_while_the_other_is_paged(
        app, rt, twilio, twilio_api, practice, monkeypatch):
    start = intake._start

    def failing_for_walter(writer, contact, *args):
        if contact.patient_id == practice.walter.id:
            raise RuntimeError(f"cannot route {contact.body}")  # as a bug might, with the text
        return start(writer, contact, *args)

    monkeypatch.setattr(intake, "_start", failing_for_walter)
    twilio.sms(WALTER, f"my {SECRET} again")
    twilio.sms(ROSA, "necesito una receta")
    done = engine.tick(rt, now=later(0))
    assert done["processed"] == 1 and done["failed"] == 0  # Rosa's, in the same tick
    (page,) = twilio_api.wait_for(1)
    assert page.form["To"] == BEN and _contact(rt, practice.rosa.id).ref in page.form["Body"]
    assert _contact(rt, practice.walter.id).status == "received"  # tried again next tick

    for seconds in range(1, quarantine.MAX_FAILURES):
        engine.tick(rt, now=later(seconds / 60))
    walter = _contact(rt, practice.walter.id)
    assert walter.status == "quarantined"
    (alert,) = _alerts(twilio_api)
    assert walter.ref in alert and "RuntimeError" in alert
    (entry,) = _quarantine_entries(rt)
    assert entry.contact_id == walter.id and "RuntimeError" in entry.detail
    for minutes in (0.5, 1, 30):  # not taken again, the managers not told again
        tick_after(rt, minutes)
    assert len(_alerts(twilio_api)) == 1 and twilio_api.sent_to(BEN) == [page]
    _no_secret_anywhere(rt, twilio_api)
    scraped = app.test_client().get("/metrics").get_data(as_text=True)  # from loopback
    assert 'hub_quarantined_rows{kind="contact"} 1.0' in scraped

    monkeypatch.setattr(intake, "_start", start)  # fixed: the manager puts it back in line
    released = app.test_cli_runner().invoke(cli, ["quarantine", "release", "contact",
                                                  str(walter.id)])
    assert released.exit_code == 0, released.output
    engine.tick(rt, now=later(31))
    assert _contact(rt, practice.walter.id).status == "paging"
    assert len(twilio_api.sent_to(BEN)) == 2


def test_a_timer_that_fails_is_set_aside_while_the_other_contact_escalates(
        rt, twilio, twilio_api, practice, monkeypatch):
    fire = timers.fire

    def failing_for_walter(session, contact, *args):
        if contact.patient_id == practice.walter.id:
            raise KeyError("no such step")
        return fire(session, contact, *args)

    twilio.sms(WALTER, f"my {SECRET} again")
    twilio.sms(ROSA, "necesito una receta")
    engine.tick(rt, now=later(0))
    twilio_api.wait_for(2)
    monkeypatch.setattr(timers, "fire", failing_for_walter)
    done = engine.tick(rt, now=later(2.1))
    assert done["fired"] == 1 and done["failed"] == 0
    to_maya = twilio_api.wait_for(3)[2]
    assert to_maya.form["To"] == MAYA and _contact(rt, practice.rosa.id).ref in to_maya.form["Body"]
    for minutes in (2.2, 2.3, 2.4, 3):
        engine.tick(rt, now=later(minutes))
    walter = _contact(rt, practice.walter.id)
    with rt.sessions() as session:
        outcomes = session.scalars(select(Timer.outcome).where(Timer.contact_id == walter.id)
                                   .order_by(Timer.id)).all()
    assert outcomes == ["quarantined"]
    (alert,) = _alerts(twilio_api)
    assert walter.ref in alert and "escalation timer" in alert
    (entry,) = _quarantine_entries(rt)
    assert entry.contact_id == walter.id
    _no_secret_anywhere(rt, twilio_api)


def test_an_outbound_message_that_crashes_the_sender_is_set_aside_while_the_others_go(
        app, rt, twilio, twilio_api, practice, monkeypatch):
    twilio.sms(WALTER, f"my {SECRET} again")
    twilio.sms(ROSA, "necesito una receta")
    walter = _contact(rt, practice.walter.id)
    send = rt.transport.send

    def crashing_for_walter(channel, to, body, *args):
        if to == BEN and walter.ref in body:  # Walter's page (not the managers' alert)
            raise ValueError(f"bad body {body}")
        return send(channel, to, body, *args)

    monkeypatch.setattr(rt.transport, "send", crashing_for_walter)
    done = engine.tick(rt, now=later(0))
    assert done["sent"] == 2 and done["failed"] == 0
    (page,) = twilio_api.wait_for(1)
    assert _contact(rt, practice.rosa.id).ref in page.form["Body"]
    for seconds in (10, 20, 30, 40, 50):  # after each retry's backoff
        engine.tick(rt, now=later(seconds / 60))
    with rt.sessions() as session:
        row = session.scalars(select(Outbound).where(Outbound.contact_id == walter.id)).one()
        assert row.status == "quarantined" and row.last_error == "ValueError"
    (alert,) = _alerts(twilio_api)
    assert walter.ref in alert and "outbound message" in alert
    assert [r for r in twilio_api.sent_to(BEN) if walter.ref in r.form["Body"]] == []
    _no_secret_anywhere(rt, twilio_api)
    listed = app.test_cli_runner().invoke(cli, ["quarantine", "list"]).output
    assert re.search(r"outbound \d+: 3 failures \(ValueError\)", listed)


def test_one_duty_failing_does_not_stop_the_others(rt, twilio, twilio_api, practice,
                                                   monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("escalation is broken")

    monkeypatch.setattr(engine, "run_due", broken)
    twilio.sms(WALTER, "question about my inhaler")
    done = engine.tick(rt, now=later(0))
    assert done["failed"] == 1 and done["processed"] == 1 and done["sent"] == 1
    assert twilio_api.wait_for(1)[0].form["To"] == BEN


def test_an_outbound_row_that_cannot_be_prepared_is_set_aside_while_the_others_go(
        rt, twilio, twilio_api, practice, monkeypatch):
    from messages import dispatch

    twilio.sms(WALTER, f"my {SECRET} again")
    twilio.sms(ROSA, "necesito una receta")
    walter = _contact(rt, practice.walter.id)
    url = dispatch._page_call_url

    def failing_for_walter(row, wording):
        if row.contact_id == walter.id:
            raise LookupError("retired key")
        return url(row, wording)

    monkeypatch.setattr(dispatch, "_page_call_url", failing_for_walter)
    for seconds in range(quarantine.MAX_FAILURES + 2):
        engine.tick(rt, now=later(seconds / 60))
    assert [r.form["To"] for r in twilio_api.requests] == [BEN, MAYA]  # Rosa's page, the alert
    with rt.sessions() as session:
        assert session.scalars(select(Outbound.status).where(
            Outbound.contact_id == walter.id)).all() == ["quarantined"]
    (alert,) = _alerts(twilio_api)
    assert walter.ref in alert and "LookupError" in alert


def test_one_cause_setting_many_rows_aside_texts_the_managers_once(
        rt, twilio, twilio_api, practice, monkeypatch):
    def full(writer, contact, *args):
        raise OverflowError("no ACK code left")

    monkeypatch.setattr(intake, "_start", full)
    twilio.sms(WALTER, "question about my inhaler")
    twilio.sms(ROSA, "necesito una receta")
    for seconds in range(quarantine.MAX_FAILURES):
        assert engine.tick(rt, now=later(seconds / 60))["failed"] == 0
    with rt.sessions() as session:
        assert session.scalars(select(Contact.status)).all() == ["quarantined"] * 2
    assert len(_quarantine_entries(rt)) == 2
    assert len(_alerts(twilio_api)) == 1  # `hub quarantine list` shows both
