"""The voice line under bad input and faults: repeated or out-of-order callbacks, missing
or garbage keys, callbacks for calls or legs the hub does not know, a database that does
not answer. Always a TwiML answer or a 4xx, never a 500, never a silent drop."""

from __future__ import annotations

from xml.etree import ElementTree

from sqlalchemy import create_engine, select

from hub.db import make_session_factory
from hub.models import CareTimeEntry, Contact
from tests.caller import sid
from tests.conftest import ACCOUNT_SID
from tests.practice import BEN, STRANGER, WALTER


def post(twilio, path, **params):
    return twilio.post(path, {"AccountSid": ACCOUNT_SID, **params})


def test_a_repeated_dial_result_counts_the_call_once_and_answers_the_same(rt, phone, practice):
    walter = phone(WALTER)
    walter.call()
    walter.press("1")
    walter.staff_leg(BEN).press("1")
    dial = walter.last
    first = walter.dial_ends("completed", seconds=200)
    walter.last = dial
    again = walter.dial_ends("completed", seconds=200)
    assert first.verbs == again.verbs == ["Say", "Hangup"]
    with rt.sessions() as session:
        assert len(session.scalars(select(CareTimeEntry)).all()) == 1


def test_a_repeated_voice_webhook_makes_one_contact_and_the_same_answer(rt, phone, practice):
    walter = phone(WALTER)
    first = walter.call()
    again = walter.call()
    assert first.verbs == again.verbs
    with rt.sessions() as session:
        assert len(session.scalars(select(Contact)).all()) == 1


def test_garbage_or_missing_digits_count_as_silence(rt, phone, practice):
    stranger = phone(STRANGER)
    stranger.call()
    assert stranger.press("x<1>").first("Gather").attrib["numDigits"] == "8"  # English
    assert "press 1" in stranger.press("12").said  # a short date: no match, the menu
    assert stranger.press("").dialled == [BEN]


def test_an_out_of_order_menu_callback_gets_the_stage_the_call_is_in(rt, phone, practice):
    walter = phone(WALTER)
    walter.call()
    walter.press("1")
    stale = post(walter.twilio, "/twilio/call/language", CallSid=walter.call_sid, Digits="2")
    assert stale.status_code == 200
    assert [n.text for n in ElementTree.fromstring(stale.text).iter("Number")] == [BEN]


def test_callbacks_for_unknown_calls_and_legs_get_a_4xx_or_a_hang_up(rt, twilio, practice):
    unknown = sid()
    assert post(twilio, "/twilio/call/menu", CallSid=unknown, Digits="1").status_code == 404
    assert post(twilio, "/twilio/call/dial-done/999", CallSid=unknown,
                DialCallStatus="completed").status_code == 404
    whisper = post(twilio, "/twilio/call/whisper/999/1", CallSid=unknown)
    assert whisper.status_code == 200 and "<Hangup" in whisper.text
    accept = post(twilio, "/twilio/call/accept/999/1", CallSid=unknown, Digits="1")
    assert accept.status_code == 200 and "<Hangup" in accept.text
    assert post(twilio, "/twilio/call/menu", Digits="1").status_code == 400  # no CallSid
    assert post(twilio, "/twilio/status", CallSid=unknown,
                CallStatus="completed").status_code == 204


def test_a_whisper_for_a_staff_member_not_rung_hangs_up(rt, phone, practice):
    walter = phone(WALTER)
    walter.call()
    walter.press("1")
    url = walter.last.first("Number").attrib["url"]
    forged = url.rsplit("/", 1)[0] + f"/{practice.maya.id}"
    leg = post(walter.twilio, forged.removeprefix("https://hub.example.test"), CallSid=sid())
    assert "<Hangup" in leg.text and "patient reference" not in leg.text


def test_a_dial_result_after_the_caller_hung_up_dials_nobody(rt, phone, practice):
    walter = phone(WALTER)
    walter.call()
    walter.press("1")
    walter.hang_up()
    assert walter.dial_ends("canceled").verbs == ["Hangup"]


def test_when_the_database_is_down_the_call_still_reaches_the_fallback_number(
        rt, phone, practice, monkeypatch):
    from dataclasses import replace

    rt.settings = replace(rt.settings, fallback_number="+12025550177")
    dead = create_engine("postgresql+psycopg://hub@127.0.0.1:1/hub",
                         connect_args={"connect_timeout": 1})
    monkeypatch.setattr(rt, "sessions", make_session_factory(dead))
    answer = phone(WALTER).call()
    assert "911" in answer.said and answer.dialled == ["+12025550177"]
    assert answer.first("Record").attrib["action"].endswith("/twilio/call/kept")


def test_when_the_database_is_down_and_no_fallback_twilio_keeps_a_voicemail(
        rt, phone, practice, monkeypatch):
    dead = create_engine("postgresql+psycopg://hub@127.0.0.1:1/hub",
                         connect_args={"connect_timeout": 1})
    monkeypatch.setattr(rt, "sessions", make_session_factory(dead))
    walter = phone(WALTER)
    answer = walter.call()
    assert "Dial" not in answer.verbs and "Record" in answer.verbs
    assert "Goodbye" in walter.record().said
