"""The chart beside a contact: medications, allergies and CCM consent imported from FHIR R4."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from hub.cli import cli
from hub.fhir.importer import import_bundle
from hub.fhir.summary import FhirImportError
from hub.models import Allergy, Consent, Medication, Patient, Staff
from tests.conftest import PUBLIC_URL
from tests.practice import BEN, ROSA, WALTER
from tests.shared_data import SHARED
from tests.staff_login import sign_in
from tests.test_fhir_import import collection, us_core

FHIR = SHARED / "fhir"
WALTER_URL = "urn:uuid:5f0c7c1e-8d6a-4a57-9d1b-2a8f3e4b6c01"
CLINIC_ID = "urn:oid:2.16.840.1.113883.3.4242"
TABLES = [Patient, Medication, Allergy, Consent]


@pytest.fixture
def fhir_dir() -> Path:
    if not (FHIR / "us-core").is_dir():
        pytest.skip(f"shared FHIR samples not found at {FHIR}")
    return FHIR


def walter_chart() -> dict[str, Any]:
    """Walter's chart as his EHR exports it: the patient by urn:uuid, references in each form
    the importer resolves (urn:uuid, relative, conditional on his MRN)."""
    relative = {"reference": "Patient/walter"}
    conditional = {"reference": f"Patient?identifier={CLINIC_ID}|W-1042"}
    resources: list[tuple[str, dict[str, Any]]] = [
        (WALTER_URL, {
            "resourceType": "Patient", "id": "walter",
            "identifier": [{"system": CLINIC_ID, "value": "W-1042"}],
            "name": [{"given": ["Walter"], "family": "Kowalski"}], "birthDate": "1948-02-11",
            "telecom": [{"system": "phone", "value": WALTER, "use": "mobile"}]}),
        ("urn:uuid:5f0c7c1e-8d6a-4a57-9d1b-2a8f3e4b6c02", {
            "resourceType": "MedicationRequest", "id": "walter-furosemide-old",
            "status": "stopped", "intent": "order", "subject": relative,
            "medicationCodeableConcept": {"text": "Furosemide 20 MG Oral Tablet"},
            "authoredOn": "2025-03-01"}),
        ("urn:uuid:5f0c7c1e-8d6a-4a57-9d1b-2a8f3e4b6c03", {
            "resourceType": "MedicationRequest", "id": "walter-furosemide",
            "status": "active", "intent": "order", "subject": {"reference": WALTER_URL},
            "medicationCodeableConcept": {"coding": [{
                "system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "313988",
                "display": "Furosemide 40 MG Oral Tablet"}]},
            "authoredOn": "2026-09-14", "dosageInstruction": [{"text": "1 tablet every morning"}]}),
        ("urn:uuid:5f0c7c1e-8d6a-4a57-9d1b-2a8f3e4b6c04", {
            "resourceType": "MedicationStatement", "id": "walter-aspirin",
            "status": "active", "subject": conditional, "dateAsserted": "2026-10-02",
            "medicationCodeableConcept": {"text": "Aspirin 81 MG"},
            "dosage": [{"text": "81 mg daily"}]}),
        ("urn:uuid:5f0c7c1e-8d6a-4a57-9d1b-2a8f3e4b6c05", {
            "resourceType": "AllergyIntolerance", "id": "walter-penicillin",
            "clinicalStatus": {"coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical",
                "code": "active"}]},
            "criticality": "high", "patient": conditional,
            "code": {"text": "Penicillin"},
            "reaction": [{"manifestation": [{"text": "hives"}, {"text": "throat swelling"}],
                          "severity": "severe"}]}),
        ("urn:uuid:5f0c7c1e-8d6a-4a57-9d1b-2a8f3e4b6c06", {
            "resourceType": "Consent", "id": "walter-ccm", "status": "active",
            "scope": {"coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/consentscope",
                "code": "treatment"}]},
            "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}],
                          "text": "Verbal consent to chronic care management"}],
            "patient": relative, "dateTime": "2026-01-15",
            "performer": [relative, {"reference": "Practitioner/nora", "type": "Practitioner",
                                     "display": "Nora Reyes, RN"}],
            "policyRule": {"text": "CMS CCM"}}),
    ]
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"fullUrl": url, "resource": r} for url, r in resources]}


def row_counts(session: Session) -> dict[str, int]:
    return {t.__tablename__: session.scalar(select(func.count()).select_from(t)) or 0
            for t in TABLES}


# --- the import ---------------------------------------------------------------------------

def test_us_core_medication_request_and_allergy_are_kept_and_reimport_changes_nothing(
        session, fhir_dir):
    bundle = collection(*(us_core(fhir_dir, name) for name in (
        "patient-example.json", "medicationrequest-coded-oral-axid.json",
        "allergyintolerance-example.json")))
    first = import_bundle(session, bundle)
    session.commit()
    assert str(first) == ("Imported 1 Patient (1 new, 0 updated), 1 MedicationRequest (1 new, "
                          "0 updated), 1 AllergyIntolerance (1 new, 0 updated).")
    counts = row_counts(session)
    again = import_bundle(session, json.dumps(bundle))
    session.commit()
    assert not again.created and not again.updated and again.unchanged == first.created
    assert row_counts(session) == counts

    medication = session.scalars(select(Medication)).one()
    assert (medication.kind, medication.status, medication.text, medication.code,
            medication.dosage, medication.date) == (
        "request", "active", "Nizatidine 15 MG/ML Oral Solution", "476872", "10 mL bid",
        "2008-04-05")
    allergy = session.scalars(select(Allergy)).one()
    assert (allergy.clinical_status, allergy.criticality, allergy.substance, allergy.reaction) == (
        "active", "high", "sulfonamide antibacterial", "skin rash (mild)")
    assert medication.patient_id == allergy.patient_id == session.scalars(select(Patient)).one().id


def test_reimporting_walters_chart_changes_nothing_and_keeps_it_encrypted(session):
    first = import_bundle(session, walter_chart())
    session.commit()
    assert dict(first.created) == {"Patient": 1, "MedicationRequest": 2,
                                   "MedicationStatement": 1, "AllergyIntolerance": 1,
                                   "Consent": 1}
    counts = row_counts(session)
    assert counts == {"patients": 1, "medications": 3, "allergies": 1, "consents": 1}
    again = import_bundle(session, walter_chart())
    session.commit()
    assert not again.created and not again.updated and again.unchanged == first.created
    assert row_counts(session) == counts

    consent = session.scalars(select(Consent)).one()
    assert (consent.status, consent.date, consent.method, consent.obtained_by, consent.scope) == (
        "active", "2026-01-15", "verbal", "Nora Reyes, RN", "treatment")
    raw = " ".join(str(v) for query in (
        "SELECT text, code, dosage, date FROM medications",
        "SELECT substance, reaction FROM allergies",
        "SELECT date, obtained_by FROM consents") for row in session.execute(text(query))
        for v in row)
    for clear in ("Furosemide", "313988", "every morning", "Penicillin", "hives", "Nora Reyes",
                  "2026-01-15"):
        assert clear not in raw


def test_a_medication_request_for_a_patient_found_nowhere_refuses_the_whole_bundle(session):
    bundle = walter_chart()
    bundle["entry"][2]["resource"]["subject"] = {"reference": "Patient/nobody"}
    with pytest.raises(FhirImportError) as refused:
        import_bundle(session, bundle)
    assert str(refused.value) == ("MedicationRequest/walter-furosemide: subject: Patient/nobody "
                                  "is neither in the bundle nor already imported")
    session.rollback()
    assert set(row_counts(session).values()) == {0}


def test_a_consent_with_a_status_fhir_does_not_know_is_refused_naming_it(session):
    bundle = walter_chart()
    bundle["entry"][5]["resource"]["status"] = "signed"
    with pytest.raises(FhirImportError, match=r"^Consent/walter-ccm: status: 'signed' is not one"):
        import_bundle(session, bundle)


# --- the night: the nurse's page, the manager's log ---------------------------------------

@pytest.fixture
def charted(app, rt, practice, tmp_path):
    """Walter's EHR chart imported with `hub import-fhir`; Rosa has none; Ben can sign in."""
    with rt.sessions() as session:
        session.get(Patient, practice.walter.id).fhir_id = "walter"
        session.get(Staff, practice.ben.id).password_hash = generate_password_hash("night")
        session.commit()
    path = tmp_path / "walter.json"
    path.write_text(json.dumps(walter_chart()))
    result = app.test_cli_runner().invoke(cli, ["import-fhir", str(path)])
    assert result.exit_code == 0, result.output
    assert "2 MedicationRequests (2 new, 0 updated)" in result.output
    return practice


def open_page(client, twilio_api, sender: str, count: int) -> str:
    page = [r for r in twilio_api.wait_for(count) if r.resource == "Messages"][-1]
    link = re.search(PUBLIC_URL + r"(/staff/c/\w+)", page.form["Body"]).group(1)
    sign_in(client, "ben@clinic.test", "night")
    return client.get(link).get_data(as_text=True)


def test_the_nurse_opens_walters_contact_and_sees_his_allergy_medications_and_consent(
        client, twilio, twilio_api, charted):
    twilio.sms(WALTER, "my ankles are swollen again")
    html = open_page(client, twilio_api, WALTER, 1)
    assert "Penicillin: criticality high; reaction hives, throat swelling (severe)" in html
    meds = html.index("<h3>Medications</h3>")
    furosemide = html.index("Furosemide 40 MG Oral Tablet: 1 tablet every morning "
                            "(active, prescribed 2026-09-14)", meds)
    aspirin = html.index("Aspirin 81 MG: 81 mg daily (active, reported 2026-10-02)", meds)
    stopped = html.index("Furosemide 20 MG Oral Tablet (stopped, prescribed 2025-03-01)", meds)
    assert furosemide < aspirin < stopped  # active first
    assert "Active, dated 2026-01-15; verbal; obtained by Nora Reyes, RN." in html
    assert "No CCM consent on file" not in html


def test_rosa_without_consent_is_paged_as_ever_and_the_manager_finds_consent_missing(
        app, client, twilio, twilio_api, charted):
    twilio.sms(WALTER, "my ankles are swollen again")
    answer = twilio.sms(ROSA, "necesito una receta de metformina")
    assert answer.status_code == 200
    assert [r.resource for r in twilio_api.sent_to(BEN)] == ["Messages", "Messages"]
    html = open_page(client, twilio_api, ROSA, 2)
    assert '<p class="urgent">No CCM consent on file.</p>' in html

    export = app.test_cli_runner().invoke(cli, ["export-log", "--format", "json"])
    assert export.exit_code == 0, export.output
    log = json.loads(export.output)
    missing = [e for e in log if e["event"] == "consent.missing"]
    assert [e["detail"] for e in missing] == [{"patient_id": charted.rosa.id}]
    rosa_events = [e["event"] for e in log if e["contact_id"] == missing[0]["contact_id"]]
    assert rosa_events[:4] == ["contact.received", "contact.triaged", "escalation.paged",
                               "consent.missing"]
