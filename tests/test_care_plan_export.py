"""The care plan goes out to the EHR as a FHIR Bundle and comes back without a change."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from hub.cli import cli
from hub.fhir_export import plan_values
from hub.models import (
    Base,
    Caregiver,
    CarePlan,
    CareTeam,
    CareTeamMember,
    Patient,
    Staff,
)
from tests.care_plan_story import walter_care_plan
from tests.practice import LENA, WALTER
from tests.test_fhir_care_details import walter_chart
from tests.test_fhir_export import hub, valid_bundle
from tests.test_fhir_import import FHIR, US_CORE_STORY, collection, us_core


@pytest.fixture
def samples() -> Path:
    """The shared US Core and Synthea examples, read in place."""
    if not (FHIR / "us-core").is_dir() or not (FHIR / "synthea").is_dir():
        pytest.skip(f"shared FHIR samples not found at {FHIR}")
    return FHIR


def snapshot(rt) -> dict[str, list[tuple[Any, ...]]]:
    """Every stored row, ciphertext included, but the log (which an import appends to)."""
    with rt.sessions() as session:
        return {table.name: [tuple(row) for row in session.execute(
                    select(table).order_by(*table.primary_key.columns))]
                for table in Base.metadata.sorted_tables
                if table.name not in ("log_entries", "log_head")}


def import_file(app, tmp_path, data: dict[str, Any] | str, name: str):
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    result = hub(app, "import-fhir", str(path))
    assert result.exit_code == 0, result.output
    return result


def round_trip(app, rt, tmp_path, patient_id: int) -> dict[str, list[dict[str, Any]]]:
    """Export the patient's care plan, import it back; nothing stored may change."""
    exported = hub(app, "export-care-plan", "--patient", str(patient_id))
    assert exported.exit_code == 0, exported.output
    _, resources = valid_bundle(exported.output)
    before = snapshot(rt)
    import_file(app, tmp_path, exported.output, f"care-plan-{patient_id}.json")
    assert snapshot(rt) == before
    again = hub(app, "export-care-plan", "--patient", str(patient_id)).output
    assert [e["resource"] for e in json.loads(again)["entry"]] == resources  # ids are stable
    kinds: dict[str, list[dict[str, Any]]] = {}
    for resource in resources:
        kinds.setdefault(resource["resourceType"], []).append(resource)
    return kinds


def patient_id_of(rt, fhir_id: str) -> int:
    with rt.sessions() as session:
        return session.scalars(select(Patient.id).where(Patient.fhir_id == fhir_id)).one()


def test_amy_shaws_us_core_care_plan_goes_to_the_ehr_and_back_without_a_change(
        app, rt, tmp_path, samples):
    import_file(app, tmp_path, collection(*(us_core(samples, n) for n in [
        *US_CORE_STORY, "medicationrequest-coded-oral-axid.json"])), "amy.json")
    kinds = round_trip(app, rt, tmp_path, patient_id_of(rt, "example"))
    assert sorted(kinds) == ["AllergyIntolerance", "CarePlan", "CareTeam", "Condition", "Goal",
                             "MedicationRequest", "Patient", "Practitioner", "RelatedPerson"]
    (plan,) = kinds["CarePlan"]
    assert plan["id"] == "careplan-ulcer-example" and plan["subject"] == {
        "reference": "Patient/example"}
    assert plan["period"] == {"start": "2025-09-27"}
    assert [g["id"] for g in kinds["Goal"]] == ["goal-1"]
    (team,) = kinds["CareTeam"]
    assert {p["member"]["reference"] for p in team["participant"]} == {
        "Practitioner/practitioner-1", "Practitioner/practitioner-2"}
    (patient,) = kinds["Patient"]
    assert patient["name"] == [{"text": "Amy V. Baxter"}] and patient["birthDate"] == "1987-02-20"


def test_walters_chart_with_medications_allergy_and_consent_round_trips(
        app, rt, tmp_path):
    import_file(app, tmp_path, walter_chart(), "walter.json")
    kinds = round_trip(app, rt, tmp_path, patient_id_of(rt, "walter"))
    (consent,) = kinds["Consent"]
    assert consent["performer"] == [{"display": "Nora Reyes, RN"}]
    assert "(verbal)" in consent["category"][0]["text"]
    assert [m["id"] for m in kinds["MedicationRequest"]] == ["walter-furosemide-old",
                                                             "walter-furosemide"]
    assert kinds["MedicationStatement"][0]["dosage"] == [{"text": "81 mg daily"}]


def test_walters_comprehensive_plan_goes_to_the_ehr_whole_and_comes_back_unchanged(
        app, rt, tmp_path):
    """Goals, who does what, the review period, the prognosis and what Lena and Tom may be
    told all reach the EHR; what the nurse recorded by hand stays as it was."""
    import_file(app, tmp_path, walter_care_plan(), "walter-plan.json")
    with rt.sessions() as session:
        tom = session.scalars(select(Caregiver.id).where(Caregiver.fhir_id == "tom")).one()
    assert hub(app, "care-plan", "set", "--patient", "walter", "--field",
               "emergency_instructions", "Call 911, then Lena").exit_code == 0
    assert hub(app, "care-plan", "disclose", "--caregiver", str(tom), "--may-be-told",
               "that Walter is safe").exit_code == 0
    kinds = round_trip(app, rt, tmp_path, patient_id_of(rt, "walter"))

    (plan,) = kinds["CarePlan"]
    assert plan["period"] == {"start": "2026-09-01", "end": "2027-03-01"}
    assert plan["note"] == [{"text": "Prefers calls in the morning"}]
    assert plan["goal"] == [{"reference": "Goal/walter-weight"},
                            {"reference": "Goal/walter-walk"},
                            {"display": "Sodium under 2 g a day"}]  # not a Goal we have
    assert {g["id"] for g in kinds["Goal"]} == {"walter-weight", "walter-walk"}
    weigh, cardiology, meals, reconcile = (a["detail"] for a in plan["activity"])
    assert (weigh["code"], weigh["description"], weigh["status"], weigh["performer"]) == (
        {"text": "Daily weight monitoring"}, "Weigh every morning and text the reading",
        "in-progress", [{"reference": "Practitioner/nora"}])
    assert weigh["scheduledString"] == "once a day"
    assert (cardiology["kind"], cardiology["scheduledPeriod"], cardiology["performer"]) == (
        "ServiceRequest", {"start": "2026-12-04"}, [{"display": "Dr. Amir Patel, Metro Heart"}])
    assert meals["performer"] == [{"display": "Meals on Wheels Metro"}]
    assert reconcile["performer"] == [{"reference": "Practitioner/ben"}]
    assert {p["id"] for p in kinds["Practitioner"]} == {"nora", "ben"}

    weight = next(g for g in kinds["Goal"] if g["id"] == "walter-weight")
    assert weight["achievementStatus"]["coding"][0]["code"] == "in-progress"
    assert weight["target"] == [{"measure": {"text": "Body weight"}, "dueDate": "2026-12-31",
                                 "detailQuantity": {"value": 180, "comparator": "<=",
                                                    "unit": "lb"}}]
    walk = next(g for g in kinds["Goal"] if g["id"] == "walter-walk")
    assert walk["target"][0]["dueDuration"] == {"value": 3, "unit": "months",
                                                "system": "http://unitsofmeasure.org",
                                                "code": "mo"}
    (assessment,) = kinds["ClinicalImpression"]
    assert (assessment["effectiveDateTime"], assessment["prognosisCodeableConcept"]) == (
        "2026-09-01", [{"text": "Fair prognosis"}])

    family = next(c for c in kinds["Consent"] if c["id"] == "walter-family")
    told = [(p["type"], p["actor"][0]["reference"]["reference"], p["code"][0]["text"])
            for p in family["provision"]["provision"]]
    assert told == [("permit", "RelatedPerson/lena", "Medications, Appointments, Test results"),
                    ("deny", "RelatedPerson/lena", "Mental health notes"),
                    ("permit", "RelatedPerson/tom", "Appointment times")]
    assert "that Walter is safe" not in json.dumps(family)  # recorded in the hub, kept there
    assert "provision" not in next(c for c in kinds["Consent"] if c["id"] == "walter-ccm")


def test_activities_of_every_form_keep_their_list_through_the_round_trip(app, rt, tmp_path):
    """A referral by reference, a "do not", a community service known by its reason, an
    activity the EHR said nothing of: each comes back in the same list of the plan."""
    bundle = walter_care_plan()
    plan = next(e["resource"] for e in bundle["entry"]
                if e["resource"]["resourceType"] == "CarePlan")
    plan["activity"] = [
        {"reference": {"reference": "ServiceRequest/podiatry", "display": "Podiatry"}},
        {"detail": {"code": {"text": "Heavy lifting"}, "doNotPerform": True,
                    "status": "not-started"}},
        {"detail": {"code": {"text": "Volunteer visitor"}, "status": "in-progress",
                    "reasonCode": [{"text": "Social isolation"}]}},
        {"outcomeCodeableConcept": [{"text": "Weight stable"}]},
        {"detail": {"description": "Low-salt cooking class", "status": "scheduled",
                    "scheduledPeriod": {"start": "2026-10-01", "end": "2026-10-29"}}},
    ]
    import_file(app, tmp_path, bundle, "walter-plan.json")
    with rt.sessions() as session:
        kept = [(a.kind, a.text) for a in session.scalars(select(CarePlan)).one().activities]
    assert kept == [("referral", "Podiatry"), ("intervention", "Do not: Heavy lifting"),
                    ("community", "Volunteer visitor"), ("intervention", None),
                    ("intervention", "Low-salt cooking class")]
    kinds = round_trip(app, rt, tmp_path, patient_id_of(rt, "walter"))
    podiatry, lifting, visitor, nothing, cooking = kinds["CarePlan"][0]["activity"]
    assert podiatry == {"reference": {"display": "Podiatry", "type": "ServiceRequest"}}
    assert lifting["detail"]["doNotPerform"] is True
    assert visitor["detail"]["reasonCode"] == [{"text": "Community and social services"}]
    assert "detail" not in nothing and "reference" not in nothing
    assert cooking["detail"]["scheduledPeriod"] == {"start": "2026-10-01", "end": "2026-10-29"}


def test_a_real_synthea_patient_round_trips(app, rt, tmp_path, samples):
    for name in ("practitioners.json", "sample_complete_patient.json"):
        assert hub(app, "import-fhir", str(samples / "synthea" / name)).exit_code == 0
    with rt.sessions() as session:
        (patient_id,) = session.scalars(select(Patient.id)).all()
    kinds = round_trip(app, rt, tmp_path, patient_id)
    assert len(kinds["Condition"]) == 21 and len(kinds["CarePlan"]) == 4
    assert len(kinds["MedicationRequest"]) == 12


def test_a_patient_entered_by_hand_gets_stable_ids_and_the_round_trip_keeps_everything(
        app, rt, tmp_path, practice):
    kinds = round_trip(app, rt, tmp_path, practice.walter.id)
    (patient,) = kinds["Patient"]
    assert patient["id"] == f"hub-patient-{practice.walter.id}"
    assert patient["telecom"] == [{"system": "phone", "value": WALTER, "use": "mobile"}]
    (lena,) = kinds["RelatedPerson"]
    assert lena["relationship"] == [{"text": "daughter"}] and lena["telecom"][0]["value"] == LENA
    with rt.sessions() as session:
        assert session.get(Patient, practice.walter.id).phones[0].phone == WALTER
    log = json.loads(hub(app, "export-log", "--format", "json").output)
    exported = [e for e in log if e["event"] == "care_plan.exported"]
    assert exported[0]["detail"]["ids_assigned"] == 2 and exported[1]["detail"][
        "ids_assigned"] == 0


def test_the_demo_practices_walter_round_trips_with_what_was_recorded_by_hand(
        app, rt, tmp_path):
    from hub.cli.demo import seed_if_empty

    with rt.sessions() as session:  # `hub seed-demo` itself runs in local mode only
        assert seed_if_empty(session, rt.settings)
        session.commit()
    with rt.sessions() as session:
        walter = next(p.id for p in session.scalars(select(Patient)) if p.name == "Walter Demo")
    kinds = round_trip(app, rt, tmp_path, walter)
    (plan,) = kinds["CarePlan"]
    assert plan["goal"] == [{"reference": "Goal/demo-weight",
                             "display": "Dry weight at or under 180 lb"}]
    assert [a["detail"].get("kind") for a in plan["activity"]] == [
        None, None, None, "ServiceRequest"]
    staff = {f"Practitioner/{p['id']}": p["name"][0]["text"] for p in kinds["Practitioner"]}
    assert [[staff.get(p.get("reference"), p.get("display")) for p in a["detail"]["performer"]]
            for a in plan["activity"]] == [["Nora Reyes"], ["Ben Okafor"],
                                           ["Meals on Wheels Metro"],
                                           ["Dr. Amir Patel, Metro Heart"]]


def test_exporting_a_patient_who_does_not_exist_is_a_clear_error(app):
    result = app.test_cli_runner().invoke(cli, ["export-care-plan", "--patient", "404"])
    assert result.exit_code == 2 and "no patient '404' (give the hub id" in result.output


def test_staff_the_hub_gave_an_id_are_still_adopted_when_the_ehr_sends_them(
        app, rt, tmp_path, practice):
    with rt.sessions() as session:
        session.add(CareTeam(patient_id=practice.walter.id, fhir_id="walter-team", status="active",
                             members=[CareTeamMember(staff_id=practice.nora.id,
                                                     role_code="224535009",
                                                     role_display="Registered nurse",
                                                     is_care_manager=True)]))
        session.commit()
    kinds = round_trip(app, rt, tmp_path, practice.walter.id)
    assert [p["id"] for p in kinds["Practitioner"]] == [f"hub-staff-{practice.nora.id}"]
    (member,) = kinds["CareTeam"][0]["participant"]  # a nurse designated as care manager
    assert [r.get("text") or r["coding"][0]["display"] for r in member["role"]] == [
        "Registered nurse", "Case manager"]
    import_file(app, tmp_path, {"resourceType": "Practitioner", "id": "nora-npi",
                                "name": [{"given": ["Nora"], "family": "Reyes"}],
                                "telecom": [{"system": "email", "value": "nora@clinic.test"}]},
                "nora.json")
    with rt.sessions() as session:
        nora = session.scalars(select(Staff).where(Staff.email == "nora@clinic.test")).one()
        assert (nora.id, nora.fhir_id) == (practice.nora.id, "nora-npi")


@pytest.mark.parametrize(("listed", "shown", "element"), [
    ("Daily weight", "Daily weight: weigh each morning",
     {"code": {"text": "Daily weight"}, "description": "weigh each morning"}),
    ("Smoking", "Do not: Smoking", {"code": {"text": "Smoking"}, "doNotPerform": True}),
    ("Do not: lift", "Do not: lift", {"code": {"text": "Do not: lift"}}),  # the EHR's words
    ("Walk", "Walk", {"code": {"text": "Walk"}}),
    (None, "Walk daily", {"description": "Walk daily"}),  # a plan made in the hub
])
def test_an_activitys_two_texts_split_back_into_code_description_and_do_not(
        listed, shown, element):
    assert plan_values.activity_words(listed, shown) == element


@pytest.mark.parametrize(("kept", "element"), [
    ({"measure": "Body weight", "detail": "<= 180.5 lb", "due": "2026-12-31"},
     {"measure": {"text": "Body weight"}, "dueDate": "2026-12-31",
      "detailQuantity": {"value": 180.5, "comparator": "<=", "unit": "lb"}}),
    # Six digits are all the import keeps of a quantity: the words go back as words.
    ({"measure": None, "detail": "123.4567 mg", "due": "within 2 weeks"},
     {"detailString": "123.4567 mg", "dueDuration": {
         "value": 2, "unit": "weeks", "system": "http://unitsofmeasure.org", "code": "wk"}}),
    ({"measure": None, "detail": "yes", "due": None}, {"detailString": "yes"}),
])
def test_a_goal_target_goes_back_structured_only_where_the_import_reads_the_same_words(
        kept, element):
    assert plan_values.goal_target(kept) == element


@pytest.mark.parametrize(("text", "element"), [
    ("from 2026-12-04", {"scheduledPeriod": {"start": "2026-12-04"}}),
    ("... to 2027-01-01", {"scheduledPeriod": {"end": "2027-01-01"}}),
    ("from next week", {"scheduledString": "from next week"}),
    ("twice a day", {"scheduledString": "twice a day"}),
])
def test_when_an_activity_happens_goes_back_as_a_period_where_it_was_one(text, element):
    assert plan_values.scheduled(text) == element
