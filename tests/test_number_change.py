"""Households change numbers and live abroad: after the EHR sends a new number, the old one
stops matching; numbers written the way each country writes them still find the patient."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from app import create_app
from config.settings import SettingError, load_settings
from hub.cli import cli
from hub.models import Contact
from hub.phones import to_e164
from messages import kick
from tests.conftest import Twilio

OLD = "+12025550160"
NEW = "+12025550161"
DAUGHTER_OLD = "+12025550170"
DAUGHTER_NEW = "+12025550171"


def chart(*telecom: dict[str, str], caregiver_phone: str | None = None) -> dict[str, Any]:
    """June's record as her EHR exports it, with the numbers given."""
    resources: list[dict[str, Any]] = [{
        "resourceType": "Patient", "id": "june", "name": [{"text": "June Abara"}],
        "telecom": list(telecom)}]
    if caregiver_phone:
        resources.append({
            "resourceType": "RelatedPerson", "id": "june-daughter",
            "patient": {"reference": "Patient/june"}, "name": [{"text": "Ada Abara"}],
            "telecom": [{"system": "phone", "value": caregiver_phone, "use": "mobile"}]})
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"resource": r} for r in resources]}


def phone(value: str, use: str = "mobile") -> dict[str, str]:
    return {"system": "phone", "value": value, "use": use}


def import_chart(app, tmp_path, data: dict[str, Any]) -> str:
    path = tmp_path / "june.json"
    path.write_text(json.dumps(data))
    result = app.test_cli_runner().invoke(cli, ["import-fhir", str(path)])
    assert result.exit_code == 0, result.output
    return result.output


def matched(app, twilio: Twilio, number: str) -> str | None:
    """Text the line from ``number``; whom the hub filed the contact under."""
    twilio.sms(number, "just checking in about my appointment")
    kick.drain()
    with app.extensions["hub"].sessions() as session:
        contact = session.scalars(select(Contact).order_by(Contact.id.desc())).first()
        if contact.caregiver is not None:
            return f"caregiver of {contact.caregiver.patient.name}"
        return contact.patient.name if contact.patient else contact.match


def test_a_new_number_from_the_ehr_replaces_the_old_one(app, twilio, tmp_path):
    import_chart(app, tmp_path, chart(phone(OLD), caregiver_phone=DAUGHTER_OLD))
    assert matched(app, twilio, OLD) == "June Abara"
    assert matched(app, twilio, DAUGHTER_OLD) == "caregiver of June Abara"

    summary = import_chart(app, tmp_path, chart(phone(NEW), caregiver_phone=DAUGHTER_NEW))
    assert "Replaced or removed 2 phone numbers: the old numbers no longer match." in summary
    assert matched(app, twilio, OLD) == "unknown"
    assert matched(app, twilio, DAUGHTER_OLD) == "unknown"
    assert matched(app, twilio, NEW) == "June Abara"
    assert matched(app, twilio, DAUGHTER_NEW) == "caregiver of June Abara"


def test_an_old_number_the_ehr_keeps_marked_old_no_longer_matches(app, twilio, tmp_path):
    import_chart(app, tmp_path, chart(phone(OLD)))
    import_chart(app, tmp_path, chart(phone(OLD, use="old"), phone(NEW)))
    assert matched(app, twilio, OLD) == "unknown"
    assert matched(app, twilio, NEW) == "June Abara"


def test_the_same_number_written_another_way_is_no_change(app, twilio, tmp_path):
    import_chart(app, tmp_path, chart(phone(OLD)))
    summary = import_chart(app, tmp_path, chart(phone("(202) 555-0160")))
    assert "Replaced" not in summary
    assert matched(app, twilio, OLD) == "June Abara"


@pytest.mark.parametrize("written, texted", [
    ("+44 20 7946 0958", "+442079460958"),  # a London landline, international format
    ("+44 7700 900123", "+447700900123"),  # a UK mobile
    ("+52 55 1234 5678", "+525512345678"),  # Mexico City
    ("+52 1 55 1234 5678", "+525512345678"),  # the same mobile, pre-2019 Mexican format
    ("tel:+52-33-1234-5678", "+523312345678"),  # RFC 3966, as some EHRs store it
])
def test_international_numbers_match_what_twilio_sends(app, twilio, tmp_path, written, texted):
    import_chart(app, tmp_path, chart(phone(written)))
    assert matched(app, twilio, texted) == "June Abara"


@pytest.mark.parametrize("region, written, texted", [
    ("GB", "020 7946 0958", "+442079460958"),
    ("GB", "07700 900123", "+447700900123"),
    ("MX", "55 1234 5678", "+525512345678"),
    ("US", "(202) 555-0160", OLD),
])
def test_national_formats_are_read_in_the_practices_region(settings_for, tmp_path, region,
                                                            written, texted):
    app = create_app({**settings_for, "HUB_PHONE_REGION": region})
    try:
        import_chart(app, tmp_path, chart(phone(written)))
        assert matched(app, Twilio(app.test_client()), texted) == "June Abara"
    finally:
        kick.drain()
        app.extensions["hub"].engine.dispose()


def test_a_region_phone_numbers_do_not_know_stops_start_up_naming_it(settings_for):
    with pytest.raises(SettingError, match="^HUB_PHONE_REGION: "):
        load_settings({**settings_for, "HUB_PHONE_REGION": "Britain"})


def test_a_mexican_number_with_the_old_mobile_one_is_the_same_line():
    assert to_e164("+52 1 55 1234 5678") == to_e164("+52 55 1234 5678") == "+525512345678"
    assert to_e164("+1 202 555 0160") == OLD  # a US number beginning with 1 is untouched
