"""Pages get through: Twilio errors retry with backoff; failed pages redeliver, then escalate."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from hub.models import Outbound, Timer, utcnow
from messages import kick
from messages.engine import tick
from tests.practice import BEN, MAYA, WALTER


def outbound(rt) -> list[Outbound]:
    kick.drain()
    with rt.sessions() as session:
        return list(session.scalars(select(Outbound).order_by(Outbound.id)))


@pytest.mark.parametrize("status, code", [(500, 20500), (503, 20503), (429, 20429)])
def test_a_twilio_outage_is_retried_with_backoff_and_the_page_still_arrives(
        rt, twilio, twilio_api, practice, status, code):
    twilio_api.fail_next(status, code, times=2)
    before = utcnow()
    twilio.sms(WALTER, "are you there")
    (row,) = outbound(rt)
    # backed off (at least a second after a failure), not tried again at once; on a slow
    # machine the engine may already have made its second try before this look
    assert row.status == "pending" and row.attempts in (1, 2)
    assert row.next_attempt_at >= before + timedelta(seconds=1)
    tick(rt, now=utcnow() + timedelta(seconds=3))
    tick(rt, now=utcnow() + timedelta(seconds=10))
    (page,) = twilio_api.wait_for(1)
    assert page.form["To"] == BEN
    (row,) = outbound(rt)
    assert row.status == "sent" and row.attempts == 3


def test_a_timeout_talking_to_twilio_is_retried(rt, twilio, twilio_api, practice, monkeypatch):
    monkeypatch.setattr(rt.transport, "timeout", 0.3)
    twilio_api.fail_next(500, delay=1.0)
    twilio.sms(WALTER, "hello?")
    (row,) = outbound(rt)
    assert row.status == "pending" and "ReadTimeout" in (row.last_error or "")
    tick(rt, now=utcnow() + timedelta(seconds=3))
    assert twilio_api.wait_for(1)[0].form["To"] == BEN


def test_a_nurse_whose_number_refuses_sms_is_called_instead_and_the_manager_told(
        rt, twilio, twilio_api, practice):
    twilio_api.fail_next(400, 21610)  # the nurse's number opted out of SMS
    twilio.sms(WALTER, "need a callback")
    kick.drain()
    sms, call, alert = outbound(rt)
    assert (sms.channel, sms.status) == ("sms", "failed")
    assert (call.channel, call.to_number, call.status) == ("call", BEN, "sent")
    assert (alert.kind, alert.to_number) == ("alert", MAYA)
    assert "Ben Okafor's number cannot take sms pages" in alert.body
    assert "Walter" not in alert.body and "callback" not in alert.body
    with rt.sessions() as session:  # not hastened: the nurse is being called
        assert session.scalars(select(Timer).where(Timer.fired_at.is_(None))).one().due_at \
            > utcnow() + timedelta(seconds=60)


def test_when_the_call_cannot_reach_the_nurse_either_the_backup_is_paged_now(
        rt, twilio, twilio_api, practice):
    twilio_api.fail_next(400, 21610)
    # the call fails too (a landline Twilio cannot reach; the alert to the manager as well)
    twilio_api.fail_next(400, 21614, times=2)
    twilio.sms(WALTER, "need a callback")
    kick.drain()
    tick(rt, now=utcnow())
    kick.drain()
    assert [r.form["To"] for r in twilio_api.requests if r.resource == "Messages"][-1] == MAYA


def test_an_undelivered_page_is_sent_again_then_escalated(rt, twilio, twilio_api, practice):
    twilio.sms(WALTER, "hello")
    twilio_api.wait_for(1)
    (first,) = outbound(rt)
    assert twilio.status(first.provider_sid, "undelivered", 30003).status_code == 204
    tick(rt, now=utcnow())
    assert [r.form["To"] for r in twilio_api.wait_for(2)] == [BEN, BEN]
    second = outbound(rt)[1]
    twilio.status(second.provider_sid, "failed", 30003)
    tick(rt, now=utcnow())
    assert twilio_api.wait_for(3)[2].form["To"] == MAYA


def test_delivered_status_is_recorded_and_a_late_sent_does_not_undo_it(
        rt, twilio, twilio_api, practice):
    twilio.sms(WALTER, "hello")
    twilio_api.wait_for(1)
    (row,) = outbound(rt)
    twilio.status(row.provider_sid, "delivered")
    twilio.status(row.provider_sid, "sent")
    assert outbound(rt)[0].status == "delivered"


def test_an_urgent_pages_sms_and_call_leave_side_by_side(twilio, twilio_api, practice):
    twilio_api.latency = 0.3  # Twilio's API answers in a few hundred milliseconds
    twilio.sms(WALTER, "chest pain and I can't catch my breath")
    assert sorted(r.resource for r in twilio_api.wait_for(2)) == ["Calls", "Messages"]
    assert twilio_api.max_in_flight == 2  # sent together, not one after the other
