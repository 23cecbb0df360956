"""Urgent texts arriving together ring the nurse once, not once per text.

Walter's family texts three urgent messages within moments while the engine is busy: each
contact gets its own SMS page with its ACK code, and the nurse's phone rings once, a call
that names the three contacts; one key acknowledges all three. A voicemail that picks the
call up hears nothing, and each contact moves on to its next step at once.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from hub.models import Contact, LogEntry, Outbound, Timer, utcnow
from messages.dispatch import dispatch_due
from messages.engine import tick
from messages.links import Links
from messages.page_calls import CALL_GAP
from messages.page_texts import PageTexts
from tests.practice import WALTER

URGENT = ("I can't breathe properly since this morning", "my chest feels tight and I'm scared",
          "he fainted and his lips look blue")


@pytest.fixture
def settings_for(settings_for):
    """The web process only takes texts in; the engine pass below pages them together."""
    return {**settings_for, "HUB_ENGINE": "separate"}


def _burst(rt, twilio, twilio_api) -> tuple[list, list]:  # type: ignore[no-untyped-def]
    for body in URGENT:
        twilio.sms(WALTER, body)
    tick(rt)
    twilio_api.wait_for(4)
    calls = [r for r in twilio_api.requests if r.resource == "Calls"]
    texts = [r for r in twilio_api.requests if r.resource == "Messages"]
    return calls, texts


def test_three_urgent_texts_together_ring_the_nurse_once_and_one_key_takes_them_all(
        rt, twilio, twilio_api, practice):
    calls, texts = _burst(rt, twilio, twilio_api)
    assert len(calls) == 1, "one ring for the three contacts"
    nurse = calls[0].form["To"]
    assert len([t for t in texts if t.form["To"] == nurse]) == 3, "each contact its own SMS"
    assert calls[0].form["MachineDetection"] == "Enable"
    path = re.sub(r"^https?://[^/]+", "", calls[0].form["Url"])
    assert path.startswith("/twilio/page-bundle-call/")

    said = twilio.post(path, {"CallSid": "CA" + "1" * 32, "AnsweredBy": "human"}).text
    assert "3 contacts, 3 urgent, are waiting for you" in said
    assert "Walter" not in said and "breathe" not in said
    with rt.sessions() as session:
        refs = list(session.scalars(select(Contact.ref)))
    assert all(" ".join(ref) in said for ref in refs)
    gather = re.search(r'action="[^"]*(/twilio/round-ack/\d+)"', said)
    assert gather is not None

    answer = twilio.post(gather.group(1), {"CallSid": "CA" + "1" * 32, "Digits": "1"})
    assert "Acknowledged" in answer.text
    with rt.sessions() as session:
        assert set(session.scalars(select(Contact.status))) == {"acknowledged"}
        bundled = session.scalars(select(Outbound.status).where(
            Outbound.channel == "call", Outbound.kind == "page")).all()
        assert bundled == ["bundled"] * 3


def test_a_voicemail_picking_up_the_call_moves_each_contact_to_its_next_step(
        rt, twilio, twilio_api, practice):
    calls, _texts = _burst(rt, twilio, twilio_api)
    path = re.sub(r"^https?://[^/]+", "", calls[0].form["Url"])
    said = twilio.post(path, {"CallSid": "CA" + "2" * 32, "AnsweredBy": "machine_end_beep"})
    assert "<Say>" not in said.text  # nothing left on a machine
    now = utcnow()
    with rt.sessions() as session:
        due = session.scalars(select(Timer.due_at).where(Timer.fired_at.is_(None))).all()
        machine = session.scalars(select(LogEntry.seq).where(
            LogEntry.event == "page.machine")).all()
    assert len(due) == 3 and all(at <= now for at in due)
    assert len(machine) == 3


def test_a_call_answered_after_someone_took_every_contact_says_so(
        rt, twilio, twilio_api, practice):
    calls, texts = _burst(rt, twilio, twilio_api)
    for page in texts:
        code = re.search(r"ACK (\d{4,8})", page.form["Body"])
        assert code is not None
        twilio.sms(page.form["To"], f"ACK {code.group(1)}")
    path = re.sub(r"^https?://[^/]+", "", calls[0].form["Url"])
    said = twilio.post(path, {"CallSid": "CA" + "3" * 32, "AnsweredBy": "human"}).text
    assert "already been taken" in said


def test_a_nurse_rung_moments_ago_is_rung_again_once_when_the_minute_is_up(
        rt, twilio, twilio_api, practice):
    """GoAlert rings a contact method at most once a minute; so does the hub, per person."""
    start = utcnow()
    twilio.sms(WALTER, URGENT[0])
    tick(rt, start)
    twilio_api.wait_for(2)  # her SMS page and her call
    assert [r.resource for r in twilio_api.requests].count("Calls") == 1

    for body in URGENT[1:]:  # twenty seconds later, two more
        twilio.sms(WALTER, body)
    tick(rt, start + timedelta(seconds=20))
    twilio_api.wait_for(4)  # each contact's own SMS page goes out at once
    assert [r.resource for r in twilio_api.requests].count("Calls") == 1, "not rung again yet"
    with rt.sessions() as session:
        waiting = session.scalars(select(Outbound.next_attempt_at).where(
            Outbound.channel == "call", Outbound.kind == "page",
            Outbound.status == "pending")).all()
        held = session.scalars(select(LogEntry.seq).where(
            LogEntry.event == "outbound.held")).all()
    assert len(waiting) == 2 and all(at == start + CALL_GAP for at in waiting)
    assert len(held) == 2, "each held call is in the log"

    # The minute is up. However few rows a dispatcher pass claims, her call carries every
    # call waiting for her (a storm's thousands ring once, not a hundred a minute).
    dispatch_due(rt.sessions, rt.transport, PageTexts(Links(rt.settings.public_url)),
                 start + CALL_GAP + timedelta(seconds=1), limit=1)
    twilio_api.wait_for(5)
    calls = [r for r in twilio_api.requests if r.resource == "Calls"]
    assert len(calls) == 2, "one more ring, for both contacts"
    path = re.sub(r"^https?://[^/]+", "", calls[1].form["Url"])
    said = twilio.post(path, {"CallSid": "CA" + "3" * 32, "AnsweredBy": "human"}).text
    assert "2 contacts, 2 urgent, are waiting for you" in said
