"""The practice manager takes the night's contacts into the EHR as FHIR Communications."""

from __future__ import annotations

import json
import re
import uuid
from datetime import timedelta
from typing import Any

from fhir.resources.R4B.bundle import Bundle
from sqlalchemy import select, update

from hub.cli import cli
from hub.fhir.validate import bad_codes
from hub.fhir_export.notes import note_text
from hub.models import (
    Contact,
    Patient,
    utcnow,
)
from messages import kick
from tests.conftest import ACCOUNT_SID, PRACTICE_NUMBER, PUBLIC_URL
from tests.practice import BEN, LENA, STRANGER, WALTER


def hub(app, *args: str):
    return app.test_cli_runner().invoke(cli, list(args), catch_exceptions=False)


def valid_bundle(text: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The exported JSON, checked against the R4B Bundle model (codes included)."""
    data = json.loads(text)
    model = Bundle.model_validate(data)
    assert list(bad_codes(model)) == []
    return data, [e["resource"] for e in data.get("entry", [])]


def by_body(resources: list[dict[str, Any]], words: str) -> dict[str, Any]:
    return next(r for r in resources if r.get("payload", [{}])[0].get("contentString") == words)


def test_a_night_of_contacts_exports_as_a_valid_r4_bundle_of_communications(
        app, rt, twilio, twilio_api, practice):
    with rt.sessions() as session:  # Walter came from the EHR; Lena was entered by hand
        session.execute(update(Patient).where(Patient.id == practice.walter.id)
                        .values(fhir_id="walter-ehr-1"))
        session.commit()
    twilio.sms(WALTER, "crushing chest pain and sweating")
    page = next(r for r in twilio_api.wait_for(2) if r.resource == "Messages")
    code = re.search(r"ACK (\d{4})", page.form["Body"]).group(1)
    twilio.sms(BEN, f"ACK {code}")
    twilio.sms(BEN, f"RESOLVE {code}")
    twilio.sms(LENA, "Dad is out of his water pill, can someone refill it?")
    twilio.sms(STRANGER, "who is this")
    kick.drain()

    result = hub(app, "export-log", "--format", "fhir")
    assert result.exit_code == 0, result.output
    bundle, resources = valid_bundle(result.output)
    assert bundle["type"] == "collection" and len(resources) == 3
    assert {r["resourceType"] for r in resources} == {"Communication"}

    urgent = by_body(resources, "crushing chest pain and sweating")
    assert urgent["status"] == "completed" and urgent["priority"] == "stat"
    assert urgent["category"][0]["coding"][0]["code"] == "alert"
    assert urgent["medium"][0]["text"] == "SMS"
    assert urgent["subject"]["reference"] == "Patient/walter-ehr-1"
    assert urgent["sender"] == urgent["subject"]
    assert urgent["recipient"][0]["identifier"]["value"] == str(practice.ben.id)
    assert urgent["recipient"][0]["display"] == "Ben Okafor"
    notes = [n["text"] for n in urgent["note"]]
    assert notes[0].startswith("Triaged urgent (sender told to call 911)")
    assert any(n.startswith("Paged Ben Okafor by sms, call") for n in notes)
    assert "Acknowledged via sms" in notes and "Resolved via sms" in notes
    assert urgent["reasonCode"] and urgent["sent"] <= urgent["note"][-1]["time"]
    assert {"system": f"{PUBLIC_URL}/fhir/sid/contact", "value": urgent["id"]} in \
        urgent["identifier"]

    refill = by_body(resources, "Dad is out of his water pill, can someone refill it?")
    assert refill["status"] == "in-progress" and refill["priority"] == "routine"
    assert refill["sender"]["type"] == "RelatedPerson"
    assert refill["sender"]["display"] == "Lena Kowalski"
    assert refill["subject"]["reference"] == "Patient/walter-ehr-1"
    assert "recipient" not in refill

    unknown = by_body(resources, "who is this")
    assert "subject" not in unknown
    assert unknown["sender"]["identifier"] == {"system": "urn:ietf:rfc:3986",
                                               "value": f"tel:{STRANGER}"}

    audit = json.loads(hub(app, "export-log", "--format", "json").output)[-1]
    assert audit["event"] == "log.exported"
    assert audit["detail"]["format"] == "fhir" and audit["detail"]["entries"] == 3


def test_since_and_until_choose_the_contacts_received_in_the_window(
        app, rt, twilio, twilio_api, practice):
    twilio.sms(WALTER, "last week's question")
    twilio.sms(WALTER, "tonight's question")
    with rt.sessions() as session:
        first = session.scalars(select(Contact).order_by(Contact.id)).first()
        first.received_at = utcnow() - timedelta(days=7)
        session.commit()
    _, tonight = valid_bundle(hub(app, "export-log", "--format", "fhir",
                                  "--since", (utcnow() - timedelta(days=1)).date().isoformat()
                                  ).output)
    assert [r["payload"][0]["contentString"] for r in tonight] == ["tonight's question"]
    _, before = valid_bundle(hub(app, "export-log", "--format", "fhir", "--until",
                                 (utcnow() - timedelta(days=3)).date().isoformat()).output)
    assert [r["payload"][0]["contentString"] for r in before] == ["last week's question"]
    _, none = valid_bundle(hub(app, "export-log", "--format", "fhir", "--since", "2001-01-01",
                               "--until", "2001-02-01").output)
    assert none == []


def test_a_call_without_voicemail_is_a_phone_communication_without_payload(
        app, twilio, twilio_api, practice):
    twilio.post("/twilio/voice", {"CallSid": "CA" + uuid.uuid4().hex, "AccountSid": ACCOUNT_SID,
                                  "From": WALTER, "To": PRACTICE_NUMBER})
    kick.drain()
    _, (call,) = valid_bundle(hub(app, "export-log", "--format", "fhir").output)
    assert call["medium"][0]["coding"][0]["code"] == "PHONE" and "payload" not in call
    assert call["sender"]["type"] == "Patient"
    assert call["sender"]["identifier"] == {"system": f"{PUBLIC_URL}/fhir/sid/patient",
                                            "value": str(practice.walter.id)}


def test_every_log_event_reaches_the_record_even_one_without_a_sentence_of_its_own():
    names = {7: "Ben Okafor"}.get
    assert note_text("escalation.paged", {"step": 0, "staff_ids": [7], "channels": ["sms"]},
                     lambda i: names(i) or "?") == "Paged Ben Okafor by sms (step 1)"
    assert note_text("contact.resolved", {"via": "web", "disposition": "advised fluids"},
                     str) == "Resolved via web: advised fluids"
    assert note_text("escalation.hastened", {}, str) == "Escalation hastened: ?"
    assert note_text("contact.something_new", {"x": 1}, str) == "contact.something_new"
