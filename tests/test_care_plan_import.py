"""The comprehensive care plan comes in from the EHR: goals, who does what, who may be told what."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select, text

from hub import care_plan, patient_chart
from hub.fhir_import import FhirImportError, import_bundle
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
    assert not again.created and again.updated["Goal"] == 2
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
    assert not patient_chart.has_ccm_consent(session, patient.id)
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
    ) for row in session.execute(text(query)) for v in row)
    for secret in ("180 lb", "Meals on Wheels", "Mental health", "Metro Heart", "2027-03-01"):
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
