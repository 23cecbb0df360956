"""Twilio has a bad night: its API answers 500 or 429 for twenty minutes, or hangs after taking
a page. Escalation keeps its own clock, every page goes out once Twilio is back, and none
goes out twice."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from hub.models import LogEntry, Outbound, Timer, utcnow
from messages import kick
from messages.engine import tick
from tests.practice import BEN, MAYA, WALTER


def rows(rt) -> list[Outbound]:
    kick.drain()
    with rt.sessions() as session:
        return list(session.scalars(select(Outbound).order_by(Outbound.id)))


@pytest.mark.parametrize("status, code", [(500, 20500), (429, 20429)])
def test_twenty_minutes_of_twilio_errors_delay_the_pages_but_lose_none_and_send_none_twice(
        rt, twilio, twilio_api, practice, status, code):
    twilio_api.fail_next(status, code, times=100_000)
    twilio.sms(WALTER, "my legs are more swollen tonight")
    start = utcnow()
    for minute in range(1, 21):  # the engine keeps ticking through the outage
        tick(rt, now=start + timedelta(minutes=minute))
        kick.drain()
    with rt.sessions() as session:
        fired = {t.step: t for t in session.scalars(select(Timer).where(
            Timer.fired_at.is_not(None)))}
        events = list(session.scalars(select(LogEntry.event)))
    # Escalation kept its schedule (the backup at 2 minutes, the manager at 4, the policy's
    # end at 9), each step within the minute it was due...
    assert sorted(fired) == [1, 2, 3]
    for step in fired.values():
        assert step.fired_at - step.due_at < timedelta(minutes=1)
    assert "escalation.hastened" not in events  # ...and was not rushed by Twilio's errors
    waiting = rows(rt)
    statuses = Counter(row.status for row in waiting)  # none given up, none "sent"
    assert statuses["pending"] and set(statuses) <= {"pending", "bundled"}
    assert events.count("outbound.retry") <= 7 * len(waiting)  # a few entries, not one a tick

    twilio_api.recover()
    tick(rt, now=start + timedelta(minutes=22))
    kick.drain()
    # Each page once: an SMS by its body (its own ACK code), a call by the page it rings for
    # (the last-resort rounds page the manager again, each round a page of its own).
    sent = Counter((r.resource, r.form["To"], r.form.get("Body") or r.form.get("Url")
                    or r.form.get("Twiml")) for r in twilio_api.requests)
    assert sent and max(sent.values()) == 1
    assert {to for _kind, to, _body in sent} == {BEN, MAYA}
    assert {row.status for row in rows(rt)} <= {"sent", "bundled"}


def test_twilio_hangs_after_taking_the_page_and_the_nurse_still_gets_it_once(
        rt, twilio, twilio_api, practice, monkeypatch):
    monkeypatch.setattr(rt.transport, "timeout", 0.3)
    twilio_api.fail_next(500, delay=1.0, taken=True)
    twilio.sms(WALTER, "is anyone there? need to ask about my appointment")
    (row,) = rows(rt)
    assert row.status == "pending" and row.unsure_since is not None
    tick(rt, now=utcnow() + timedelta(seconds=3))
    kick.drain()
    (taken,) = twilio_api.sent_to(BEN)
    (row,) = rows(rt)
    assert row.status == "sent" and row.provider_sid == taken.sid and row.unsure_since is None
    assert twilio_api.lists == 1  # asked once, did not send again


def test_twilio_hangs_without_taking_the_page_and_it_is_sent_after_asking(
        rt, twilio, twilio_api, practice, monkeypatch):
    monkeypatch.setattr(rt.transport, "timeout", 0.3)
    twilio_api.fail_next(500, delay=1.0)
    twilio.sms(WALTER, "is anyone there? need to ask about my appointment")
    tick(rt, now=utcnow() + timedelta(seconds=3))
    kick.drain()
    (page,) = twilio_api.sent_to(BEN)
    (row,) = rows(rt)
    assert row.status == "sent" and row.provider_sid == page.sid and twilio_api.lists == 1


def test_while_twilio_cannot_even_be_asked_nothing_is_sent_blind(
        rt, twilio, twilio_api, practice, monkeypatch):
    monkeypatch.setattr(rt.transport, "timeout", 0.3)
    twilio_api.fail_next(500, delay=1.0, taken=True)
    twilio.sms(WALTER, "is anyone there? need to ask about my appointment")
    twilio_api.fail_next(503, times=1)  # the question itself fails
    tick(rt, now=utcnow() + timedelta(seconds=3))
    kick.drain()
    assert len(twilio_api.sent_to(BEN)) == 1  # only the first, taken while hanging
    (row,) = rows(rt)
    assert row.status == "pending" and row.unsure_since is not None
    tick(rt, now=utcnow() + timedelta(seconds=90))
    kick.drain()
    (row,) = rows(rt)
    assert row.status == "sent" and len(twilio_api.sent_to(BEN)) == 1
