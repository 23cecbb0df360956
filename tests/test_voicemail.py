"""A patient calls at night and leaves a voicemail: the transcript is triaged like a text."""

from __future__ import annotations

import json

from sqlalchemy import select

from hub.models import Contact, LogEntry
from tests.conftest import ACCOUNT_SID, PRACTICE_NUMBER
from tests.practice import BEN, ROSA, WALTER

CALL = "CA" + "c" * 32


def call(twilio, sender=WALTER, sid=CALL):
    """A known caller answers the menu with 2 (a voicemail): the contact is paged now."""
    greeting = twilio.post("/twilio/voice", {"CallSid": sid, "AccountSid": ACCOUNT_SID,
                                             "From": sender, "To": PRACTICE_NUMBER})
    assert "911" in greeting.text
    return twilio.post("/twilio/call/menu", {"CallSid": sid, "AccountSid": ACCOUNT_SID,
                                             "From": sender, "Digits": "2"})


def transcript(twilio, text, sid=CALL, status="completed"):
    return twilio.post("/twilio/transcription", {
        "CallSid": sid, "AccountSid": ACCOUNT_SID, "RecordingSid": "RE" + "d" * 32,
        "TranscriptionSid": "TR" + "e" * 32, "TranscriptionText": text,
        "TranscriptionStatus": status})


def resources_to(twilio_api, number):
    return sorted(r.resource for r in twilio_api.sent_to(number))


def test_the_call_pages_at_once_and_offers_a_voicemail(twilio, twilio_api, practice):
    answer = call(twilio)
    assert "<Record" in answer.text
    assert 'transcribeCallback="https://hub.example.test/twilio/transcription"' in answer.text
    assert resources_to(twilio_api, BEN) == ["Messages"]  # routine until we hear more
    done = twilio.post("/twilio/voicemail-done", {"CallSid": CALL, "AccountSid": ACCOUNT_SID})
    assert "Thank you" in done.text and "<Hangup" in done.text


def test_a_voicemail_about_chest_pain_turns_the_call_urgent_and_pages_by_sms_and_call(
        rt, twilio, twilio_api, practice):
    call(twilio)
    answer = transcript(twilio, "hi this is walter my chest is tight and I feel sweaty")
    assert answer.status_code == 204
    assert resources_to(twilio_api, BEN) == ["Calls", "Messages", "Messages"]
    urgent_page = [r for r in twilio_api.sent_to(BEN) if r.resource == "Messages"][-1]
    assert urgent_page.form["Body"].startswith("URGENT")
    assert "chest" not in urgent_page.form["Body"]
    with rt.sessions() as session:
        contact = session.scalars(select(Contact)).one()
        assert contact.urgency == "urgent" and "chest is tight" in contact.body
        events = [e.event for e in session.scalars(select(LogEntry).order_by(LogEntry.seq))]
    assert "contact.transcribed" in events and events.count("contact.triaged") == 2


def test_a_repeated_transcript_callback_pages_nobody_twice(twilio, twilio_api, practice):
    call(twilio)
    transcript(twilio, "my chest is tight")
    transcript(twilio, "my chest is tight")
    assert resources_to(twilio_api, BEN) == ["Calls", "Messages", "Messages"]


def test_a_routine_voicemail_changes_nothing_but_is_kept(rt, twilio, twilio_api, practice):
    call(twilio, sender=ROSA)
    transcript(twilio, "I need a refill of my metformin")
    assert resources_to(twilio_api, BEN) == ["Messages"]
    with rt.sessions() as session:
        contact = session.scalars(select(Contact)).one()
        assert contact.urgency == "routine" and json.loads(contact.triage)["fired"] == []


def test_a_failed_transcription_is_logged_and_a_stranger_call_sid_is_refused(
        rt, twilio, practice):
    call(twilio)
    assert transcript(twilio, "", status="failed").status_code == 204
    with rt.sessions() as session:
        assert session.scalar(select(LogEntry).where(
            LogEntry.event == "contact.transcription_failed")) is not None
    assert transcript(twilio, "hello", sid="CA" + "f" * 32).status_code == 404
