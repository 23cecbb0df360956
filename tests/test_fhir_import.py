"""Importing FHIR R4 bundles: real US Core and Synthea data in, all or nothing, idempotent."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from hub import contact_log
from hub.cli.fhir import import_fhir_command
from hub.fhir.bundle import read_file
from hub.fhir.importer import import_bundle
from hub.fhir.summary import FhirImportError
from hub.models import (
    Allergy,
    Caregiver,
    CarePlan,
    CareTeam,
    CareTeamMember,
    Condition,
    Consent,
    Goal,
    LogEntry,
    Medication,
    Patient,
    PatientPhone,
    Staff,
)
from hub.phones import phone_index, to_e164
from tests.shared_data import SHARED

FHIR = SHARED / "fhir"
US_CORE_STORY = [
    "patient-example.json",
    "practitioner-1.json",
    "practitioner-2.json",
    "relatedperson-shaw-niece.json",
    "careteam-example.json",
    "careplan-ulcer-example.json",
    "condition-duodenal-ulcer.json",
    "goal-1.json",
    "allergyintolerance-example.json",
]
TABLES = [Patient, PatientPhone, Caregiver, Staff, CareTeam, CareTeamMember, CarePlan, Condition,
          Medication, Allergy, Consent, Goal]


@pytest.fixture
def fhir_dir() -> Path:
    if not (FHIR / "us-core").is_dir() or not (FHIR / "synthea").is_dir():
        pytest.skip(f"shared FHIR samples not found at {FHIR}")
    return FHIR


def us_core(fhir_dir: Path, name: str) -> dict[str, Any]:
    with open(fhir_dir / "us-core" / name, encoding="utf-8") as handle:
        return json.load(handle)


def collection(*resources: dict[str, Any]) -> dict[str, Any]:
    """A collection Bundle of the resources, fullUrls as a FHIR server would give them."""
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"fullUrl": f"http://example.org/fhir/{r['resourceType']}/{r['id']}", "resource": r}
            for r in resources
        ],
    }


@pytest.fixture
def story(fhir_dir: Path) -> dict[str, Any]:
    """Amy Shaw's chart from the US Core examples, as one bundle."""
    return collection(*(us_core(fhir_dir, name) for name in US_CORE_STORY))


def row_counts(session: Session) -> dict[str, int]:
    return {t.__tablename__: session.scalar(select(func.count()).select_from(t)) or 0
            for t in TABLES}


def staff_by_fhir_id(session: Session, fhir_id: str) -> Staff:
    return session.scalars(select(Staff).where(Staff.fhir_id == fhir_id)).one()


def test_us_core_patient_with_care_team_imports_and_reimports_without_duplicates(session, story):
    first = import_bundle(session, story)
    session.commit()
    assert dict(first.created) == {"Patient": 1, "Practitioner": 2, "RelatedPerson": 1,
                                   "CareTeam": 1, "CarePlan": 1, "Condition": 1,
                                   "AllergyIntolerance": 1, "Goal": 1}
    assert not first.skipped_types
    counts = row_counts(session)
    assert counts == {"patients": 1, "patient_phones": 1, "caregivers": 1, "staff": 2,
                      "care_teams": 1, "care_team_members": 2, "care_plans": 1, "conditions": 1,
                      "medications": 0, "allergies": 1, "consents": 0, "goals": 1}

    again = import_bundle(session, json.dumps(story).encode())
    session.commit()
    assert not again.created and not again.updated  # an identical bundle changes no row
    assert again.unchanged == first.created
    assert row_counts(session) == counts

    patient = session.scalars(select(Patient)).one()
    assert (patient.fhir_id, patient.name, patient.birth_date) == ("example", "Amy V. Baxter",
                                                                    "1987-02-20")
    assert patient.language == "es"
    assert [p.phone for p in patient.phones] == ["+15555555555"]
    team = session.scalars(select(CareTeam)).one()
    assert team.patient is patient and team.status == "active"
    assert sorted(m.staff.fhir_id for m in team.members) == ["practitioner-1", "practitioner-2"]
    assert {m.role_display for m in team.members} == {"Cardiologist", "Primary care provider"}
    assert staff_by_fhir_id(session, "practitioner-1").role == "physician"
    assert staff_by_fhir_id(session, "practitioner-2").email == (
        "kathy.fielding@direct.examplemedicalpractice.net")
    plan = session.scalars(select(CarePlan)).one()
    content = json.loads(plan.content)
    assert (plan.status, plan.intent, content["categories"]) == ("active", "plan", ["Care Plan"])
    assert "Duodenal Ulcer" in content["narrative"]
    condition = session.scalars(select(Condition)).one()
    assert (condition.code, condition.text, condition.clinical_status) == (
        "51868009", "Active Duodenal Ulcer", "active")
    goal = session.scalars(select(Goal)).one()
    assert (goal.patient, goal.lifecycle_status, json.loads(goal.targets)) == (
        patient, "active", [{"measure": None, "detail": None, "due": "2016-04-05"}])
    assert "1 Goal (0 new, 0 updated, 1 unchanged)" in str(again) and "Amy" not in str(again)


def test_caregiver_texting_from_her_phone_is_found_by_its_keyed_hash(session, story):
    import_bundle(session, story)
    session.commit()
    index = phone_index(to_e164("(555) 555-5555"))
    caregiver = session.scalars(select(Caregiver).where(Caregiver.phone_index == index)).one()
    assert (caregiver.name, caregiver.relationship_text) == ("Sarah van Putten", "niece")
    assert caregiver.patient.fhir_id == "example"
    assert caregiver.phone == "+15555555555"


def test_names_and_numbers_are_not_stored_in_clear(session, story):
    import_bundle(session, story)
    session.commit()
    raw = " ".join(
        str(value)
        for query in ("SELECT name, birth_date FROM patients", "SELECT phone FROM patient_phones",
                      "SELECT name, phone, relationship_text FROM caregivers",
                      "SELECT name FROM staff", "SELECT content FROM care_plans")
        for row in session.execute(text(query))
        for value in row
    )
    # Whole values: a Fernet token (url-safe base64) cannot hold them by chance.
    for clear in ("Amy V. Baxter", "1987-02-20", "+15555555555", "Sarah van Putten",
                  "Ronald Bone", "Duodenal Ulcer"):
        assert clear not in raw


def test_care_team_with_a_bogus_status_refuses_the_whole_bundle_and_leaves_data_as_before(
        session, story, fhir_dir):
    import_bundle(session, us_core(fhir_dir, "practitioner-1.json"))
    session.commit()
    before = row_counts(session)
    for entry in story["entry"]:
        if entry["resource"]["resourceType"] == "CareTeam":
            entry["resource"]["status"] = "bogus"
    with pytest.raises(FhirImportError) as refused:
        import_bundle(session, story)
    assert "CareTeam/example" in str(refused.value) and "status" in str(refused.value)
    assert not session.new and not session.dirty
    session.rollback()
    assert row_counts(session) == before


def test_patient_with_gender_x_is_refused_naming_the_patient_and_nothing_is_written(
        session, story):
    story["entry"][0]["resource"]["gender"] = "x"
    with pytest.raises(FhirImportError, match=r"^Patient/example: gender: 'x' is not one of"):
        import_bundle(session, story)
    session.rollback()
    assert set(row_counts(session).values()) == {0}


def test_care_plan_for_a_patient_found_nowhere_is_refused_naming_it(session, fhir_dir):
    plan = us_core(fhir_dir, "careplan-ulcer-example.json")
    with pytest.raises(FhirImportError) as refused:
        import_bundle(session, collection(plan, us_core(fhir_dir, "practitioner-1.json")))
    message = str(refused.value)
    assert message.startswith("CarePlan/careplan-ulcer-example: subject: Patient/example")
    assert "neither in the bundle nor already imported" in message
    session.rollback()
    assert row_counts(session)["staff"] == 0


def test_care_plan_for_a_patient_imported_last_week_resolves_in_the_database(session, fhir_dir):
    import_bundle(session, us_core(fhir_dir, "patient-example.json"))
    session.commit()
    summary = import_bundle(session, us_core(fhir_dir, "careplan-ulcer-example.json"))
    session.commit()
    assert summary.created["CarePlan"] == 1
    assert session.scalars(select(CarePlan)).one().patient.fhir_id == "example"


@pytest.mark.parametrize(("payload", "reason"), [
    (b"<Bundle xmlns='http://hl7.org/fhir'/>", "input: not JSON: Expecting value at line 1"),
    (b"\xff\xfe\x00garbage", "input: not JSON"),
    ("[1, 2]", "input: not a FHIR resource: the JSON is not an object"),
    ('{"name": "Amy"}', "input: resourceType: not a FHIR resource: no resourceType"),
    ('{"resourceType": "Observation", "status": "final"}', "Observation: not a resource the hub"),
])
def test_what_is_not_a_fhir_bundle_is_refused_with_a_clear_reason(session, payload, reason):
    with pytest.raises(FhirImportError) as refused:
        import_bundle(session, payload)
    assert str(refused.value).startswith(reason)


def test_skipped_resource_types_are_counted_not_refused(session, fhir_dir):
    name = "PractitionerRole_Practitioner_Endpoint_Bundle_Example.json"
    bundle = read_file(fhir_dir / "us-core" / name)
    summary = import_bundle(session, bundle)
    session.commit()
    assert dict(summary.skipped_types) == {"Endpoint": 1}
    assert summary.counts()["updated"] == {"PractitionerRole": 1}
    staff = staff_by_fhir_id(session, "Practitioner-1011")
    # "primary care physician"; her home number is listed first, reachable all the same.
    assert (staff.role, staff.phone) == ("physician", "+13135556868")
    assert staff.fhir_identifier == "http://hl7.org/fhir/sid/us-npi|9999991018"


def test_practitioner_role_of_case_manager_makes_the_staff_member_a_care_manager(
        session, fhir_dir):
    bundle = us_core(fhir_dir, "PractitionerRole_Practitioner_Endpoint_Bundle_Example.json")
    bundle["entry"][0]["resource"]["code"] = [{"text": "RN Case Manager"}]
    import_bundle(session, bundle)
    assert staff_by_fhir_id(session, "Practitioner-1011").role == "care_manager"


@pytest.mark.parametrize("role", [
    {"coding": [{"system": "http://snomed.info/sct", "code": "768730001",
                 "display": "Case manager"}]},
    {"text": "Chronic Care Manager"},
])
def test_designated_care_manager_on_the_care_team_becomes_the_patients_care_manager(
        session, story, role):
    team = next(e["resource"] for e in story["entry"]
                if e["resource"]["resourceType"] == "CareTeam")
    team["participant"][1]["role"] = [role]
    summary = import_bundle(session, story)
    session.commit()
    kathy = staff_by_fhir_id(session, "practitioner-2")
    assert session.scalars(select(Patient)).one().care_manager_id == kathy.id
    member = session.scalars(select(CareTeamMember).where(CareTeamMember.is_care_manager)).one()
    assert member.staff_id == kathy.id
    assert summary.care_managers_set == 1 and "care manager of 1 patient" in str(summary)


def test_synthea_patient_imports_after_its_practitioners(session, fhir_dir):
    practitioners = import_bundle(session, read_file(fhir_dir / "synthea" / "practitioners.json"))
    session.commit()
    assert dict(practitioners.created) == {"Practitioner": 2}
    data = read_file(fhir_dir / "synthea" / "sample_complete_patient.json")
    summary = import_bundle(session, data)
    session.commit()
    assert dict(summary.created) == {"Patient": 1, "CareTeam": 4, "CarePlan": 4, "Condition": 21,
                                     "MedicationRequest": 12}
    assert sum(summary.skipped_types.values()) == 314 - 42 - 4  # 4 Medications are read
    assert summary.skipped_types["Observation"] == 58
    # The requests that name their drug through a Medication resource take its name.
    assert summary.medications_named == 4 and "Named 4 medications" in str(summary)
    names = {m.text for m in session.scalars(select(Medication))}
    assert None not in names and "1 ML heparin sodium, porcine 5000 UNT/ML Injection" in names

    patient = session.scalars(select(Patient)).one()
    assert (patient.name, patient.language) == ("Lindsay928 Gerlach374", "en")
    # Conditional references (Practitioner?identifier=...us-npi|...) found the stored staff.
    members = session.scalars(select(CareTeamMember)).all()
    assert {m.staff.fhir_identifier for m in members} == {
        "http://hl7.org/fhir/sid/us-npi|9999962229", "http://hl7.org/fhir/sid/us-npi|9999999559"}
    # urn:uuid references found the patient inside the bundle.
    assert {c.patient_id for c in session.scalars(select(Condition))} == {patient.id}
    counts = row_counts(session)
    again = import_bundle(session, data)
    session.commit()
    assert not again.created and not again.updated and again.unchanged["Condition"] == 21
    assert row_counts(session) == counts


def test_synthea_patient_before_its_practitioners_is_refused_naming_the_care_team(
        session, fhir_dir):
    with pytest.raises(FhirImportError) as refused:
        import_bundle(session, read_file(fhir_dir / "synthea" / "sample_complete_patient.json"))
    message = str(refused.value)
    assert message.startswith("CareTeam/") and ": participant[1].member: Practitioner?" in message
    session.rollback()
    assert set(row_counts(session).values()) == {0}


def test_transaction_bundle_without_ids_is_keyed_by_urn_uuid_and_reimports_in_place(
        session, fhir_dir):
    patient = us_core(fhir_dir, "patient-example.json")
    condition = us_core(fhir_dir, "condition-duodenal-ulcer.json")
    del patient["id"], condition["id"]
    patient_url = "urn:uuid:2b5c1bde-0d8e-4f4e-9c55-6a1a8e2f9a01"
    condition["subject"] = {"reference": patient_url}
    condition["recorder"] = {"reference": "Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|9941339100"}
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"fullUrl": patient_url, "resource": patient,
         "request": {"method": "POST", "url": "Patient"}},
        {"fullUrl": "urn:uuid:7d1e2c3b-7a6f-4c1e-8b0e-3f4a5b6c7d8e", "resource": condition,
         "request": {"method": "POST", "url": "Condition"}},
    ]}
    import_bundle(session, bundle)
    session.commit()
    import_bundle(session, bundle)
    session.commit()
    stored = session.scalars(select(Patient)).one()
    assert stored.fhir_id == "2b5c1bde-0d8e-4f4e-9c55-6a1a8e2f9a01"
    assert session.scalars(select(Condition)).one().patient_id == stored.id


def test_a_phone_that_does_not_parse_is_skipped_and_counted(session, fhir_dir):
    patient = us_core(fhir_dir, "patient-example.json")
    patient["telecom"].append({"system": "phone", "value": "ext. 12"})
    patient["telecom"].append({"system": "phone", "value": "617-555-0199", "use": "old"})
    summary = import_bundle(session, patient)
    assert summary.skipped_phones == 1 and "1 phone number that did not parse" in str(summary)
    assert [p.phone for p in session.scalars(select(PatientPhone))] == ["+15555555555"]


def test_a_number_the_ehr_no_longer_lists_stops_matching(session, fhir_dir):
    patient = us_core(fhir_dir, "patient-example.json")
    patient["birthDate"] = "1987-02"  # partial dates are kept as given
    import_bundle(session, patient)
    session.commit()
    patient["telecom"] = [{"system": "phone", "value": "+1 617 555 0100", "use": "mobile"}]
    import_bundle(session, patient)
    session.commit()
    assert [(p.phone, p.use) for p in session.scalars(select(PatientPhone))] == [
        ("+16175550100", "mobile")]
    assert session.scalars(select(Patient)).one().birth_date == "1987-02"


def test_a_file_over_200_mb_is_refused_before_it_is_read(tmp_path):
    huge = tmp_path / "huge.json"
    with open(huge, "wb") as handle:
        handle.truncate(200 * 1024 * 1024 + 1)  # sparse: takes no disk space
    with pytest.raises(FhirImportError, match="more than the 200 MB"):
        read_file(huge)


def test_import_fhir_command_loads_a_file_and_audits_counts_only(cli_app, session, fhir_dir):
    path = fhir_dir / "synthea" / "practitioners.json"
    result = cli_app.test_cli_runner().invoke(import_fhir_command, [str(path)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Imported 2 Practitioners (2 new, 0 updated).")
    entry = session.scalars(select(LogEntry)).one()
    assert (entry.event, entry.actor) == ("fhir.import", "cli")
    assert json.loads(entry.detail)["created"] == {"Practitioner": 2}
    assert contact_log.verify(session)[1] is None


def test_import_fhir_command_refuses_a_bad_bundle_with_the_reason_and_exit_1(
        cli_app, session, tmp_path, fhir_dir):
    bad = tmp_path / "bad.json"
    plan = us_core(fhir_dir, "careplan-ulcer-example.json")
    bad.write_text(json.dumps(collection(us_core(fhir_dir, "practitioner-1.json"), plan)))
    result = cli_app.test_cli_runner().invoke(import_fhir_command, [str(bad)])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: CarePlan/careplan-ulcer-example: subject:")
    assert "Traceback" not in result.output
    assert row_counts(session)["staff"] == 0
    assert session.scalar(select(func.count()).select_from(LogEntry)) == 0


def test_import_fhir_command_refuses_a_file_that_is_not_json(cli_app, tmp_path):
    bad = tmp_path / "notes.txt"
    bad.write_text("Amy called about her ulcer")
    result = cli_app.test_cli_runner().invoke(import_fhir_command, [str(bad)])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: input: not JSON")
    assert "Amy" not in result.output


def test_the_caller_owns_the_transaction(session, story):
    """import_bundle flushes but never commits: a rollback leaves nothing behind."""
    copy_of_story = copy.deepcopy(story)
    import_bundle(session, copy_of_story)
    session.rollback()
    assert set(row_counts(session).values()) == {0}
