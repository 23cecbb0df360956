"""Twilio Conversations as a channel: a patient's chat message becomes a contact like a text,
its answer and the nurse's reply are posted back into the conversation through the REST API."""

from __future__ import annotations

import json
import re
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select, text
from werkzeug.security import generate_password_hash

from hub.models import Attachment, Contact, Staff, utcnow
from messages import kick
from messages.engine import tick
from tests import pictures
from tests.conftest import ACCOUNT_SID, AUTH_TOKEN, PUBLIC_URL
from tests.practice import BEN, WALTER, seed
from tests.staff_login import csrf_of, sign_in

CONVERSATION = "CH" + "c" * 32
SERVICE = "IS" + "a" * 32


@pytest.fixture
def practice_chat(rt):
    with rt.sessions() as session:
        practice = seed(session)
        session.get(Staff, practice.ben.id).password_hash = generate_password_hash("night-shift")
        session.commit()
    return practice


def chat(twilio, author: str, body: str, sid: str | None = None, event: str = "onMessageAdded",
         media: list[dict[str, object]] | None = None, signature: str | None = None):
    """An onMessageAdded event as Twilio Conversations posts it (form-encoded, signed)."""
    params = {"AccountSid": ACCOUNT_SID, "ChatServiceSid": SERVICE,
              "EventType": event, "ConversationSid": CONVERSATION,
              "MessageSid": sid or "IM" + uuid.uuid4().hex, "Author": author, "Body": body,
              "ParticipantSid": "MB" + "b" * 32, "Attributes": "{}", "Source": "SDK",
              "Index": "0", "DateCreated": "2026-12-03T07:02:00.000Z"}
    if media is not None:
        params["Media"] = json.dumps(media)
    return twilio.post("/twilio/conversations", params, signature=signature)


def posted(twilio_api) -> list:
    return [m for m in twilio_api.conversations.messages if m.conversation == CONVERSATION]


def test_a_patients_chat_about_chest_pain_pages_and_the_nurse_answers_in_the_chat(
        rt, client, twilio, twilio_api, practice_chat):
    answer = chat(twilio, WALTER, "I have chest pain and I am short of breath")
    assert answer.status_code == 200
    with rt.sessions() as session:
        contact = session.scalars(select(Contact)).one()
        assert (contact.channel, contact.match, contact.urgency) == ("chat", "patient", "urgent")
        assert contact.patient.name == "Walter Kowalski"
    (first,) = posted(twilio_api)
    assert "911" in first.form["Body"] and first.form["Author"] == "care-team"
    page = next(r for r in twilio_api.requests if r.resource == "Messages"
                and r.form["To"] == BEN)
    assert "chest" not in page.form["Body"] and "URGENT" in page.form["Body"]

    sign_in(client, "ben@clinic.test", "night-shift")
    link = re.search(PUBLIC_URL + r"(/staff/c/\w+)", page.form["Body"]).group(1)
    html = client.get(link).get_data(as_text=True)
    assert "Reply in the chat" in html and "Reply by SMS" not in html
    twilio_api.fail_next(503)  # the Conversations API is down at that moment
    assert client.post(link + "/reply", data={
        "csrf_token": csrf_of(html), "body": "Walter, I am calling you right now."}
    ).status_code == 302
    kick.drain()
    assert len(posted(twilio_api)) == 1  # not yet: retried later
    tick(rt, utcnow() + timedelta(minutes=5))
    reply = posted(twilio_api)[-1]
    assert reply.form == {"Author": "care-team", "Body": "Walter, I am calling you right now."}
    with rt.sessions() as session:
        events = session.scalars(text("SELECT event FROM log_entries ORDER BY seq")).all()
    assert "contact.replied" in events


def test_the_hubs_own_messages_and_other_events_are_ignored(rt, twilio, twilio_api,
                                                             practice_chat):
    assert chat(twilio, "care-team", "This may be an emergency: call 911 now.").status_code \
        == 200
    assert chat(twilio, WALTER, "", event="onConversationAdded").status_code == 200
    with rt.sessions() as session:
        assert session.scalars(select(Contact)).all() == []
    assert posted(twilio_api) == []


def test_a_chat_event_with_a_bad_signature_is_refused(rt, twilio, practice_chat):
    assert chat(twilio, WALTER, "hello", signature="forged").status_code == 403
    with rt.sessions() as session:
        assert session.scalars(select(Contact)).all() == []


def test_the_same_chat_message_twice_makes_one_contact_and_one_answer(
        rt, twilio, twilio_api, practice_chat):
    sid = "IM" + uuid.uuid4().hex
    for _ in range(2):
        assert chat(twilio, WALTER, "can I get a refill of metformin", sid=sid).status_code == 200
    tick(rt, utcnow() + timedelta(minutes=1))
    with rt.sessions() as session:
        assert len(session.scalars(select(Contact)).all()) == 1
    assert len(posted(twilio_api)) == 1


def test_a_chat_from_an_identity_nobody_knows_is_a_contact_from_an_unknown_sender(
        rt, twilio, twilio_api, practice_chat):
    assert chat(twilio, "night-owl-77", "my father fell, who do I call?").status_code == 200
    with rt.sessions() as session:
        contact = session.scalars(select(Contact)).one()
        assert (contact.channel, contact.match, contact.from_number) == (
            "chat", "unknown", "night-owl-77")


def test_a_photo_only_chat_message_is_a_contact_and_its_photo_is_fetched_for_the_nurse(
        rt, client, twilio, twilio_api, practice_chat):
    ankle = pictures.png(seed=11)
    sid = twilio_api.media.add_chat(SERVICE, ankle, "image/png")
    media = [{"Sid": sid, "ContentType": "image/png", "Filename": "ankle.png",
              "Size": len(ankle)},
             {"Sid": "not-a-sid", "ContentType": "image/jpeg", "Filename": "x.jpg", "Size": 1}]
    assert chat(twilio, WALTER, "", media=media).status_code == 200
    with rt.sessions() as session:
        contact = session.scalars(select(Contact)).one()
        assert '"photo received"' in contact.triage and contact.status == "paging"
        kept = session.scalars(select(Attachment)).one()
        assert (kept.contact_id, kept.source, kept.data) == (contact.id, "chat", ankle)
    assert [(r.method, r.user) for r in twilio_api.media.requests] == [
        ("GET", f"{ACCOUNT_SID}:{AUTH_TOKEN}")]  # fetched, and left in the conversation
    sign_in(client, "ben@clinic.test", "night-shift")
    html = client.get(f"/staff/c/{contact.ref}").get_data(as_text=True)
    assert f'src="/staff/c/{contact.ref}/files/{kept.id}"' in html
    assert "File 2 sent with this contact not fetched" in html


def test_a_chat_event_with_a_malformed_media_list_is_a_clear_400(rt, twilio, practice_chat):
    bad = twilio.post("/twilio/conversations", {
        "AccountSid": ACCOUNT_SID, "EventType": "onMessageAdded", "ConversationSid": CONVERSATION,
        "MessageSid": "IM" + uuid.uuid4().hex, "Author": WALTER, "Body": "x",
        "Media": "not json"})
    assert bad.status_code == 400 and b"Media is not a JSON list" in bad.data
    assert chat(twilio, WALTER, "my sugar is 250").status_code == 200  # the next one is taken
    with rt.sessions() as session:
        assert len(session.scalars(select(Contact)).all()) == 1


def test_the_loopback_twilio_answers_the_conversations_api_from_twilios_description(
        twilio_api):
    import requests

    fetched = requests.get(f"{twilio_api.url}/v1/Conversations/{CONVERSATION}", timeout=5)
    assert fetched.status_code == 200 and fetched.json()["sid"].startswith("CH")
    assert requests.get(f"{twilio_api.url}/v1/Nowhere", timeout=5).status_code == 404
    assert requests.put(f"{twilio_api.url}/v1/Conversations", timeout=5).status_code in (404,
                                                                                         405, 501)
