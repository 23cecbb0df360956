"""Garbage, hostile and odd input gets a clear 4xx or a graceful answer and loses nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from hub.models import Contact
from tests.conftest import ACCOUNT_SID
from tests.practice import WALTER


def contacts(rt) -> int:
    with rt.sessions() as session:
        return session.scalar(select(func.count(Contact.id)))


@pytest.mark.parametrize("params, status, reason", [
    ({"From": WALTER, "Body": "hi"}, 400, "MessageSid"),
    ({"MessageSid": "not-a-sid", "From": WALTER, "Body": "hi"}, 400, "MessageSid"),
    ({"MessageSid": "SM" + "a" * 32, "Body": "hi"}, 400, "From"),
    ({"MessageSid": "SM" + "b" * 32, "From": "hello", "Body": "hi"}, 400, "From"),
    ({"MessageSid": "SM" + "c" * 32, "From": WALTER, "Body": "x" * 20_001}, 413, "Body"),
    ({"MessageSid": "SM" + "d" * 32, "From": WALTER, "Body": "hi",
      "AccountSid": "AC" + "f" * 32}, 403, "AccountSid"),
])
def test_malformed_webhooks_get_a_4xx_naming_the_field_and_neighbours_go_through(
        rt, twilio, twilio_api, practice, params, status, reason):
    assert twilio.sms(WALTER, "before").status_code == 200
    answer = twilio.post("/twilio/sms", params)
    assert answer.status_code == status and reason in answer.text
    assert twilio.sms(WALTER, "after").status_code == 200
    assert contacts(rt) == 2
    twilio_api.wait_for(2)


@pytest.mark.parametrize("body", [
    "", "😷🤒💊", "line1\r\nline2\x00\x07\x1b[31m", "x" * 20_000, "مرحبا 你好 hola",
    "<Response><Say>pwned</Say></Response>",
])
def test_odd_but_real_bodies_are_kept_exactly_and_answered(rt, twilio, practice, body):
    answer = twilio.sms(WALTER, body)
    assert answer.status_code == 200 and "<Message>" in answer.text
    assert "pwned" not in answer.text
    with rt.sessions() as session:
        assert session.scalars(select(Contact.body)).one() == body


def test_garbage_on_every_webhook_is_a_4xx_not_a_500(twilio, practice):
    for path in ("/twilio/sms", "/twilio/voice", "/twilio/status", "/twilio/page-ack/1"):
        answer = twilio.post(path, {"garbage": "\x00" * 10, "AccountSid": ACCOUNT_SID})
        assert 200 <= answer.status_code < 500, (path, answer.status_code)
        assert answer.status_code != 500


def test_a_get_or_an_unsigned_post_is_refused(client):
    assert client.get("/twilio/sms").status_code == 405
    assert client.post("/twilio/sms", data={"From": WALTER}).status_code == 403


def test_an_unknown_status_callback_sid_is_accepted_and_ignored(twilio):
    assert twilio.status("SM" + "e" * 32, "delivered").status_code == 204
    assert twilio.status("SM" + "e" * 32, "DROP TABLE").status_code == 400


def test_a_patient_message_never_reaches_the_logs(rt, twilio, twilio_api, practice, caplog):
    twilio.sms(WALTER, "secret symptom words")
    twilio_api.fail_next(500, times=1)
    twilio.sms(WALTER, "more secret words")
    twilio_api.wait_for(1)
    text = caplog.text
    assert "secret" not in text and WALTER not in text and "Walter" not in text


@pytest.mark.parametrize("reply", [
    None, "", "Your care team has received your message.", "Tom & Ana <caregivers> \"both\"",
    "Sí, recibimos su mensaje ✓",
])
def test_the_answer_to_a_text_is_the_twiml_twilios_library_writes(reply):
    from twilio.twiml.messaging_response import MessagingResponse

    from messages.twiml import message

    expected = MessagingResponse()
    if reply:
        expected.message(reply)
    assert message(reply) == str(expected)


def test_a_signature_over_the_url_with_its_default_port_is_accepted(rt, twilio, practice):
    # Twilio signs some requests over https://host:443/...; the library's validate knows both.
    from twilio.request_validator import RequestValidator

    from tests.conftest import PRACTICE_NUMBER, PUBLIC_URL

    params = {"MessageSid": "SM" + "e" * 32, "AccountSid": ACCOUNT_SID, "From": WALTER,
              "To": PRACTICE_NUMBER, "Body": "hello", "NumMedia": "0"}
    with_port = PUBLIC_URL.replace(".test", ".test:443") + "/twilio/sms"
    signature = RequestValidator(twilio.token).compute_signature(with_port, params)
    assert twilio.post("/twilio/sms", params, signature=signature).status_code == 200
    forged = RequestValidator("another-token").compute_signature(with_port, params)
    assert twilio.post("/twilio/sms", {**params, "MessageSid": "SM" + "f" * 32},
                       signature=forged).status_code == 403
    assert contacts(rt) == 1
