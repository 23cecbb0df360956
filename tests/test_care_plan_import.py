"""The comprehensive care plan comes in from the EHR: goals, who does what, who may be told what."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select, text

from hub import care_plan, patient_chart
from hub.cli.fhir import import_fhir_command
from hub.fhir.importer import import_bundle
from hub.fhir.summary import FhirImportError
from hub.models import (
    CaregiverDisclosure,
    CarePlan,
    CarePlanActivity,
    Goal,
    Patient,
    Staff,
)
from tests.care_plan_story import walter_care_plan
from tests.shared_data import SHARED


def walter(session) -> Patient:
    return session.scalars(select(Patient).where(Patient.fhir_id == "walter")).one()


def test_walters_plan_arrives_whole_goals_activities_caregivers_and_language(session):
    summary = import_bundle(session, walter_care_plan())
    session.commit()
    assert summary.created["Goal"] == 2 and summary.created["CarePlan"] == 1
    assert dict(summary.skipped_types) == {"Encounter": 1, "Observation": 1}

    view = care_plan.load(session, walter(session))
    assert view.language == "Polish"
    [assessment] = view.prognoses
    assert (assessment.prognosis, assessment.summary, assessment.date) == (
        "Fair prognosis", "NYHA class II, euvolemic on his current diuretic", "2026-09-01")
    assert view.patient.care_manager.name == "Nora Reyes"
    assert view.review == ("2027-03-01", "end of the care plan's period")
    weight = view.goals[0]
    assert (weight.goal.description, weight.goal.lifecycle_status,
            weight.goal.achievement_status) == ("Dry weight at or under 180 lb", "active",
                                                "in-progress")
    assert weight.targets == [{"measure": "Body weight", "detail": "<= 180 lb",
                               "due": "2026-12-31"}]
    assert view.goals[1].targets == [{"measure": None, "detail": "20 minutes, 5 days a week",
                                      "due": "within 3 months"}]
    assert view.other_goals == ["Sodium under 2 g a day"]  # named by the plan, not exported

    interventions = view.activities["intervention"]
    assert [(a.text, a.performer.name, a.scheduled) for a in interventions] == [
        ("Daily weight monitoring: Weigh every morning and text the reading", "Nora Reyes",
         "once a day"),
        ("Medication reconciliation", "Ben Okafor", "at the next visit")]
    [meals] = view.activities["community"]
    assert (meals.performer, meals.performer_text) == (None, "Meals on Wheels Metro")
    [cardiology] = view.activities["referral"]
    assert (cardiology.text, cardiology.performer_text, cardiology.scheduled) == (
        "Cardiology follow-up", "Dr. Amir Patel, Metro Heart", "from 2026-12-04")

    told = {c.caregiver.name: (c.may_be_told, c.may_not_be_told) for c in view.caregivers}
    assert told == {"Lena Kowalski": (["Medications, Appointments, Test results"],
                                      ["Mental health notes"]),
                    "Tom Brennan": (["Appointment times"], [])}


def test_importing_the_same_export_again_changes_nothing(session):
    import_bundle(session, walter_care_plan())
    session.commit()
    ids = sorted(session.scalars(select(CarePlanActivity.id)))
    disclosures = sorted(session.scalars(select(CaregiverDisclosure.id)))
    again = import_bundle(session, json.dumps(walter_care_plan()))
    session.commit()
    assert not again.created and not again.updated and again.unchanged["Goal"] == 2
    assert again.unchanged["ClinicalImpression"] == 1
    assert sorted(session.scalars(select(CarePlanActivity.id))) == ids
    assert sorted(session.scalars(select(CaregiverDisclosure.id))) == disclosures
    assert session.scalar(select(func.count(Goal.id))) == 2


def test_an_activity_the_ehr_dropped_is_dropped_here_too(session):
    import_bundle(session, walter_care_plan())
    session.commit()
    bundle = walter_care_plan()
    plan = next(e["resource"] for e in bundle["entry"] if e["resource"]["id"] == "walter-hf-plan")
    plan["activity"] = plan["activity"][:1]
    import_bundle(session, bundle)
    session.commit()
    assert session.scalar(select(func.count(CarePlanActivity.id))) == 1


def test_a_withdrawn_family_consent_takes_back_what_caregivers_may_be_told(session):
    import_bundle(session, walter_care_plan())
    session.commit()
    import_bundle(session, walter_care_plan(privacy_status="inactive"))
    session.commit()
    view = care_plan.load(session, walter(session))
    assert all(not c.may_be_told and not c.may_not_be_told for c in view.caregivers)


def test_the_family_sharing_consent_is_not_mistaken_for_ccm_consent(session):
    bundle = walter_care_plan()
    bundle["entry"] = [e for e in bundle["entry"] if e["resource"]["id"] != "walter-ccm"]
    import_bundle(session, bundle)
    session.commit()
    patient = walter(session)
    assert patient_chart.patients_with_ccm_consent(session, {patient.id}) == set()
    assert not patient_chart.load(session, patient.id).consent_on_file


def test_the_nurse_responsible_is_the_staff_record_a_later_import_finds(session):
    import_bundle(session, walter_care_plan())
    session.commit()
    nora = session.scalars(select(Staff).where(Staff.fhir_id == "nora")).one()
    activity = session.scalars(select(CarePlanActivity).order_by(CarePlanActivity.id)).first()
    assert activity.performer_id == nora.id


def test_care_plan_content_is_not_stored_in_clear(session):
    import_bundle(session, walter_care_plan())
    session.commit()
    raw = " ".join(str(v) for query in (
        "SELECT description, targets, note FROM goals",
        "SELECT text, scheduled, performer_text FROM care_plan_activities",
        "SELECT what FROM caregiver_disclosures", "SELECT content, period_end FROM care_plans",
        "SELECT prognosis, summary FROM prognoses",
    ) for row in session.execute(text(query)) for v in row)
    for secret in ("180 lb", "Meals on Wheels", "Mental health", "Metro Heart", "2027-03-01",
                   "NYHA", "Fair prognosis"):
        assert secret not in raw


@pytest.mark.parametrize("change, field", [
    (lambda g: g.pop("lifecycleStatus"), "lifecycleStatus"),
    (lambda g: g.update(lifecycleStatus="hoped-for"), "lifecycleStatus"),
])
def test_a_goal_with_a_bad_status_refuses_the_whole_bundle_naming_it(session, change, field):
    bundle = walter_care_plan()
    goal = next(e["resource"] for e in bundle["entry"] if e["resource"]["id"] == "walter-walk")
    change(goal)
    with pytest.raises(FhirImportError) as refused:
        import_bundle(session, bundle)
    session.rollback()
    assert str(refused.value).startswith(f"Goal/walter-walk: {field}")
    assert session.scalar(select(func.count(Patient.id))) == 0


def test_a_consent_naming_a_caregiver_found_nowhere_is_refused(session):
    bundle = walter_care_plan()
    bundle["entry"] = [e for e in bundle["entry"] if e["resource"]["id"] != "tom"]
    with pytest.raises(FhirImportError, match=r"Consent/walter-family: provision.actor: "
                                              r"RelatedPerson/tom is neither"):
        import_bundle(session, bundle)
    session.rollback()
    assert session.scalar(select(func.count(CarePlan.id))) == 0


def test_synthea_care_plans_bring_their_activities(session):
    folder = SHARED / "fhir" / "synthea"
    if not folder.is_dir():
        pytest.skip("Synthea sample not found")
    import_bundle(session, (folder / "practitioners.json").read_bytes())
    summary = import_bundle(session, (folder / "sample_complete_patient.json").read_bytes())
    session.commit()
    assert summary.created["CarePlan"] == 4 and summary.skipped_types["Observation"] == 58
    activities = session.scalars(select(CarePlanActivity)).all()
    assert activities and {a.kind for a in activities} <= {"intervention", "community",
                                                           "referral"}
    assert "Diabetic diet" in {a.text for a in activities}


def big_export(goals: int, observations: int) -> dict:
    """One patient's export with many goals and many readings the hub passes over."""
    patient = {"resourceType": "Patient", "id": "big", "name": [{"text": "Ada Big"}]}
    resources = [patient] + [
        {"resourceType": "Goal", "id": f"g{i}", "lifecycleStatus": "active",
         "description": {"text": f"Goal {i}"}, "subject": {"reference": "Patient/big"}}
        for i in range(goals)] + [
        {"resourceType": "Observation", "id": f"o{i}", "status": "final",
         "code": {"text": "Body weight"}} for i in range(observations)]
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"resource": r} for r in resources]}


def test_a_large_export_shows_its_progress_on_stderr_and_a_small_one_does_not(
        cli_app, session, tmp_path):
    path = tmp_path / "export.json"
    path.write_text(json.dumps(big_export(goals=1200, observations=300)))
    result = cli_app.test_cli_runner().invoke(import_fhir_command, [str(path)])
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    checked = [line for line in lines if line.startswith("checked ")]
    assert checked[0] == "checked 151 of 1,501 resources (10%)"
    assert checked[-1] == "checked 1,501 of 1,501 resources (100%)" and len(checked) == 10
    assert lines[-2:] == ["prepared 1,201 of 1,201 resources (100%)", "saving 1,201 resources"]
    assert "1 Patient (1 new, 0 updated), 1200 Goals (1200 new, 0 updated)" in result.stdout
    assert "Observation 300" in result.stdout
    assert session.scalar(select(func.count(Goal.id))) == 1200
    session.rollback()  # SQLite: let the next import have the write lock

    small = tmp_path / "small.json"
    small.write_text(json.dumps(walter_care_plan()))
    quiet = cli_app.test_cli_runner().invoke(import_fhir_command, [str(small)])
    assert quiet.exit_code == 0 and quiet.stderr == ""


def test_an_export_over_200_mb_is_refused_in_one_line_before_it_is_read(cli_app, tmp_path):
    huge = tmp_path / "huge.json"
    with open(huge, "wb") as handle:
        handle.truncate(300 * 1024 * 1024)  # sparse: takes no disk space
    result = cli_app.test_cli_runner().invoke(import_fhir_command, [str(huge)])
    assert result.exit_code == 1
    assert result.stderr == "error: file: 300 MB is more than the 200 MB an import may be\n"
