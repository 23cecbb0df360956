"""No contact waits for nobody: when every step of the policy went unanswered, the managers
are paged and the fallback number (an answering service) is called, round after round,
until a person acknowledges."""

from __future__ import annotations

from xml.etree import ElementTree

import pytest
from sqlalchemy import select

from hub.models import Contact, LogEntry, Timer
from routing.policy import PolicyError, parse_policy
from tests.caller import path_of
from tests.conftest import ACCOUNT_SID
from tests.practice import BEN, MAYA, WALTER
from tests.test_core_line import tick_after

FALLBACK = "+12025550177"


@pytest.fixture
def policy_file(tmp_path):
    """Two steps, then a last-resort round every 15 minutes."""
    path = tmp_path / "escalation.toml"
    path.write_text(
        'last_resort_minutes = 15\n'
        '[[steps]]\ntargets = ["primary"]\nchannels = ["sms"]\nwait_seconds = 120\n'
        '[[steps]]\ntargets = ["backup"]\nchannels = ["sms"]\nwait_seconds = 120\n')
    return path


@pytest.fixture
def settings_for(settings_for):
    return {**settings_for, "HUB_FALLBACK_NUMBER": FALLBACK}


def _waiting_timers(rt) -> list[Timer]:
    with rt.sessions() as session:
        return list(session.scalars(select(Timer).where(Timer.fired_at.is_(None))))


def _rounds(twilio_api) -> tuple[list, list]:
    calls = [r for r in twilio_api.requests if r.form["To"] == FALLBACK]
    maya = [(r.resource, r.form["To"]) for r in twilio_api.requests if r.form["To"] == MAYA]
    return calls, maya


def test_nobody_acks_so_the_fallback_number_and_the_managers_until_the_manager_acks(
        rt, twilio, twilio_api, practice):
    twilio.sms(WALTER, "please call me about my ankles and the refill")
    twilio_api.wait_for(1)
    tick_after(rt, 2.1)  # the backup (Maya, also the manager)
    twilio_api.wait_for(2)
    assert _rounds(twilio_api)[0] == []
    tick_after(rt, 4.2)  # the steps are exhausted: the last-resort round
    twilio_api.wait_for(5)
    calls, maya = _rounds(twilio_api)
    assert len(calls) == 1 and calls[0].resource == "Calls"
    said = calls[0].form["Twiml"]
    assert "not been acknowledged" in said
    for secret in ("Walter", "Kowalski", "ankles", WALTER, "2025550142"):
        assert secret not in said
    assert sorted(maya[1:]) == [("Calls", MAYA), ("Messages", MAYA)]  # the managers, by both
    (timer,) = _waiting_timers(rt)  # never waiting for nobody
    with rt.sessions() as session:
        contact = session.scalars(select(Contact)).one()
        assert contact.status == "paging"
        events = session.scalars(select(LogEntry.event).order_by(LogEntry.seq)).all()
    assert events.count("escalation.exhausted") == 1
    assert events.count("escalation.last_resort") == 1

    tick_after(rt, 15)  # not yet: the round repeats 15 minutes after the last
    assert len(_rounds(twilio_api)[0]) == 1
    tick_after(rt, 19.4)  # again: the fallback number and the managers
    twilio_api.wait_for(8)
    calls, maya = _rounds(twilio_api)
    assert len(calls) == 2 and len(maya) == 5
    assert len(_waiting_timers(rt)) == 1

    assert "Acknowledged" in twilio.sms(MAYA, "ack").text
    assert _waiting_timers(rt) == []
    tick_after(rt, 60)
    calls, maya = _rounds(twilio_api)
    assert len(calls) == 2 and len(maya) == 5
    assert twilio_api.sent_to(BEN)[1:] == []  # the primary had the first page only
    with rt.sessions() as session:
        events = session.scalars(select(LogEntry.event).order_by(LogEntry.seq)).all()
    assert events.count("escalation.exhausted") == 1
    assert events.count("escalation.last_resort") == 2


def test_without_a_fallback_number_the_managers_are_still_paged_round_after_round(
        rt, twilio, twilio_api, practice):
    rt.policy = rt.policy.with_fallback_number(None)
    twilio.sms(WALTER, "refill question")
    tick_after(rt, 2.1)
    tick_after(rt, 4.2)
    tick_after(rt, 19.4)
    twilio_api.wait_for(6)
    assert _rounds(twilio_api)[0] == []
    assert len(_rounds(twilio_api)[1]) == 5  # the backup's SMS, then two rounds of two
    assert len(_waiting_timers(rt)) == 1


def test_the_policy_says_how_often_the_last_resort_repeats():
    steps = '[[steps]]\ntargets = ["primary"]\nwait_minutes = 5\n'
    assert parse_policy(steps).last_resort.every.total_seconds() == 600  # the default
    policy = parse_policy('last_resort_minutes = 3\n' + steps
                          + '[urgent]\n[[urgent.steps]]\ntargets = ["primary"]\nwait_minutes = 1\n')
    assert policy.last_resort.every.total_seconds() == 180
    assert policy.for_urgency("urgent").last_resort.every.total_seconds() == 180
    assert policy.with_fallback_number(FALLBACK).for_urgency("urgent").last_resort.number \
        == FALLBACK
    with pytest.raises(PolicyError, match="last_resort_minutes"):
        parse_policy('last_resort_minutes = 0\n' + steps)


def _calls_to(twilio_api, number: str) -> list:
    return [r for r in twilio_api.sent_to(number) if r.resource == "Calls"]


def test_a_night_of_unanswered_contacts_rings_the_manager_once_a_round_and_one_key_takes_all(
        rt, twilio, twilio_api, practice):
    """Five texts nobody answers: each round calls Maya (and the answering service) once,
    naming the five, not five times; a contact whose steps run out between rounds waits for
    the next round's call; Maya presses 1 and every one of them is acknowledged."""
    for i in range(5):
        twilio.sms(WALTER, f"refill question number {i + 1}")
    tick_after(rt, 2.1)  # the backup
    tick_after(rt, 4.2)  # the steps ran out: the first round
    (call,) = _calls_to(twilio_api, MAYA)
    (fallback,) = _calls_to(twilio_api, FALLBACK)
    assert "5 contacts have not been acknowledged" in call.form["Twiml"]
    assert "5 contacts have not been acknowledged" in fallback.form["Twiml"]
    with rt.sessions() as session:
        refs = list(session.scalars(select(Contact.ref)))
    for secret in ("Walter", "refill", WALTER):
        assert secret not in call.form["Twiml"] and secret not in fallback.form["Twiml"]

    twilio.sms(WALTER, "one more question after the first round")
    tick_after(rt, 2.1 + 5)
    tick_after(rt, 4.2 + 5)  # its steps ran out: its round call waits for the next round
    assert len(_calls_to(twilio_api, MAYA)) == 1 and len(_calls_to(twilio_api, FALLBACK)) == 1

    tick_after(rt, 19.4)  # the next round: once more, one call each, now naming six
    assert len(_calls_to(twilio_api, FALLBACK)) == 2
    second = _calls_to(twilio_api, MAYA)[1]
    assert "6 contacts have not been acknowledged" in second.form["Twiml"]
    named = sum(" ".join(ref) in second.form["Twiml"] for ref in refs)
    assert named >= 4 and "and 1 more" in second.form["Twiml"]  # five said, one counted

    gather = ElementTree.fromstring(second.form["Twiml"]).find(".//Gather")
    answer = twilio.post(path_of(gather.get("action")), {
        "CallSid": "CA" + "1" * 32, "AccountSid": ACCOUNT_SID, "Digits": "1"})
    assert "Acknowledged" in answer.text
    with rt.sessions() as session:
        contacts = session.scalars(select(Contact)).all()
    assert {c.status for c in contacts} == {"acknowledged"}
    assert {c.acknowledged_by_id for c in contacts} == {practice.maya.id}
    assert _waiting_timers(rt) == []  # escalation stopped for every one
