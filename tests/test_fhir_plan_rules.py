"""Walter's EHR sends his heart-failure plan, which tells him in plain words to call when his
weight is up more than 3 lb in a day: the hub reads the thresholds from it, applies them at
once, shows where each came from, and keeps the clinician's decisions across re-imports."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from hub.cli import cli
from hub.fhir.importer import import_bundle
from hub.models import Contact, LogEntry, Patient, PlanRule, Staff
from tests.care_plan_story import walter_care_plan
from tests.practice import BEN, WALTER
from tests.staff_login import sign_in
from tests.test_fhir_import import FHIR, US_CORE_STORY, collection

CALL_AT_3_LB = ("Weigh every morning. Call the team if your weight is up more than 3 lb in a "
                "day or 5 lb in a week.")


def hub(app, *args: str):
    return app.test_cli_runner().invoke(cli, list(args))


def plan_with(*instructions: str, goal_targets: list[dict[str, Any]] | None = None
              ) -> dict[str, Any]:
    """Walter's bundle, his plan carrying ``instructions`` as activities."""
    bundle = walter_care_plan()
    plan = next(e["resource"] for e in bundle["entry"]
                if e["resource"]["resourceType"] == "CarePlan")
    plan["activity"] += [{"detail": {"description": text, "status": "in-progress"}}
                         for text in instructions]
    if goal_targets is not None:
        goal = next(e["resource"] for e in bundle["entry"]
                    if e["resource"].get("id") == "walter-weight")
        goal["target"] = goal_targets
    return bundle


def imported(rt, practice, bundle: dict[str, Any]) -> None:
    """Import the bundle onto the practice's own Walter (his EHR id set first)."""
    with rt.sessions() as session:
        session.get(Patient, practice.walter.id).fhir_id = "walter"
        session.commit()
        import_bundle(session, copy.deepcopy(bundle))
        session.commit()


def rules(rt, practice) -> dict[str, PlanRule]:
    with rt.sessions() as session:
        found = session.scalars(select(PlanRule).where(
            PlanRule.patient_id == practice.walter.id)).all()
        return {r.metric: r for r in found}


def last_contact(rt) -> tuple[str, dict[str, Any]]:
    with rt.sessions() as session:
        contact = session.scalars(select(Contact).order_by(Contact.id.desc())).first()
        return contact.urgency, json.loads(contact.triage)


def test_a_4_lb_gain_and_breathlessness_lying_down_pages_the_nurse_as_his_plan_says(
        rt, twilio, twilio_api, practice):
    imported(rt, practice, plan_with(CALL_AT_3_LB))
    day, week = rules(rt, practice)["weight_gain_day"], rules(rt, practice)["weight_gain_week"]
    assert (day.threshold, day.state, day.origin) == (3, "derived", "fhir")
    assert week.threshold == 5 and day.source_text == (
        "Call the team if your weight is up more than 3 lb in a day or 5 lb in a week.")

    answer = twilio.sms(WALTER, "gained 4 lbs since yesterday and i get winded when i lie down")

    urgency, triage = last_contact(rt)
    assert urgency == "urgent"
    assert f"plan:{day.code}" in triage["fired"]
    assert "flag:heart_failure_orthopnea" in triage["fired"]  # his problem list: heart failure
    assert twilio_api.sent_to(BEN)  # the nurse on call is paged
    assert "911" in answer.text


def test_switched_off_the_same_reading_is_routine_and_the_page_shows_it_off(
        app, rt, client, twilio, practice):
    imported(rt, practice, plan_with(CALL_AT_3_LB))
    code = rules(rt, practice)["weight_gain_day"].code
    twilio.sms(WALTER, "gained 4 lbs since yesterday")
    assert last_contact(rt)[0] == "urgent"

    switched = hub(app, "plan-rule", "off", "--patient", str(practice.walter.id), code)
    assert switched.exit_code == 0 and f"{code} off" in switched.output
    twilio.sms(WALTER, "gained 4 lbs since yesterday")
    urgency, triage = last_contact(rt)
    assert urgency == "routine" and triage["plan_rules"] == []

    with rt.sessions() as session:
        nora = session.get(Staff, practice.nora.id)
        nora.password_hash = generate_password_hash("day-shift")
        ref = session.get(Patient, practice.walter.id).ref
        session.commit()
        decided = session.scalars(select(LogEntry).where(
            LogEntry.event == "care_plan.rule_decided")).one()
        assert json.loads(decided.detail)["state"] == "off"
    sign_in(client, "nora@clinic.test", "day-shift")
    page = client.get(f"/staff/p/{ref}/care-plan").get_data(as_text=True)
    row = page[page.index(f"<td data-label=\"Rule\">{code}</td>"):][:600]
    assert "off (from the EHR)" in row and "more than 3 lb in a day" in row


def test_a_re_import_keeps_the_clinicians_decisions_and_follows_the_ehr_elsewhere(
        app, rt, practice):
    imported(rt, practice, plan_with(CALL_AT_3_LB, "Call if sugar over 300 or under 70"))
    first = rules(rt, practice)
    walter = str(practice.walter.id)
    assert hub(app, "plan-rule", "off", "--patient", walter,
               first["weight_gain_day"].code).exit_code == 0
    assert hub(app, "plan-rule", "change", "--patient", walter,
               first["glucose_above"].code, "280").exit_code == 0
    assert hub(app, "plan-rule", "confirm", "--patient", walter,
               first["weight_gain_week"].code).exit_code == 0

    # the EHR now says 2 lb a day, 4 lb a week, and a sugar over 350 or under 60
    imported(rt, practice, plan_with(CALL_AT_3_LB.replace("3 lb", "2 lb").replace("5 lb", "4 lb"),
                                     "Call if sugar over 350 or under 60"))
    again = rules(rt, practice)
    assert {m: r.code for m, r in again.items()} == {m: r.code for m, r in first.items()}
    assert (again["weight_gain_day"].state, again["weight_gain_day"].threshold) == ("off", 3)
    assert again["weight_gain_day"].derived_threshold == 2  # what the EHR's words give now
    assert (again["glucose_above"].state, again["glucose_above"].threshold) == ("changed", 280)
    assert (again["weight_gain_week"].state, again["weight_gain_week"].threshold) == (
        "confirmed", 5)
    assert (again["glucose_below"].state, again["glucose_below"].threshold) == ("derived", 60)

    # the same bundle once more changes nothing
    imported(rt, practice, plan_with(CALL_AT_3_LB.replace("3 lb", "2 lb").replace("5 lb", "4 lb"),
                                     "Call if sugar over 350 or under 60"))
    assert {m: (r.code, r.state, r.threshold) for m, r in rules(rt, practice).items()} == {
        m: (r.code, r.state, r.threshold) for m, r in again.items()}


def test_a_spanish_plan_and_an_instruction_the_hub_cannot_read_are_both_shown(app, rt, practice):
    imported(rt, practice, plan_with(
        "Llame si sube más de 3 libras en un día o 5 libras en una semana.",
        "Call the clinic if your peak flow is under 200."))
    assert {m: (r.threshold, r.state) for m, r in rules(rt, practice).items()} == {
        "weight_gain_day": (3, "derived"), "weight_gain_week": (5, "derived"),
        "weight_above": (180, "off")}  # his dry-weight goal: offered, not applied
    shown = hub(app, "care-plan", "show", "--patient", str(practice.walter.id)).output
    assert "Llame si sube más de 3 libras en un día" in shown
    assert "not understood" in shown and "peak flow is under 200" in shown
    listed = hub(app, "plan-rule", "list", "--patient", str(practice.walter.id)).output
    assert "[derived, from the EHR]" in listed


def test_a_goals_target_on_a_loinc_measure_is_offered_off_until_a_clinician_turns_it_on(
        app, rt, twilio, practice):
    loinc = "http://loinc.org"
    imported(rt, practice, plan_with(goal_targets=[
        {"measure": {"coding": [{"system": loinc, "code": "8480-6"}], "text": "Systolic BP"},
         "detailRange": {"low": {"value": 95, "unit": "mm[Hg]"},
                         "high": {"value": 160, "unit": "mm[Hg]"}}},
        {"measure": {"coding": [{"system": loinc, "code": "59408-5"}], "text": "SpO2"},
         "detailQuantity": {"value": 90, "comparator": ">=", "unit": "%"}},
        {"measure": {"coding": [{"system": loinc, "code": "2339-0"}], "text": "Glucose"},
         "detailRange": {"low": {"value": 4, "unit": "mmol/L"},
                         "high": {"value": 10, "unit": "mmol/L"}}}]))
    found = rules(rt, practice)
    assert {m: (r.threshold, r.state) for m, r in found.items()} == {
        "bp_systolic_above": (160, "off"), "bp_systolic_below": (95, "off"),
        "spo2_below": (90, "off"), "glucose_above": (180, "off"), "glucose_below": (72, "off")}
    twilio.sms(WALTER, "o2 sat 88 this morning")
    assert last_contact(rt)[0] == "routine"
    assert hub(app, "plan-rule", "on", "--patient", str(practice.walter.id),
               found["spo2_below"].code).exit_code == 0
    twilio.sms(WALTER, "o2 sat 88 this morning")
    assert last_contact(rt)[0] == "urgent"


def test_the_shared_us_core_and_synthea_samples_give_no_invented_rule(session):
    """Read in place: their plans carry no thresholds, so none may appear, and nothing is
    reported as an instruction the hub could not read."""
    if not (FHIR / "us-core").is_dir():
        pytest.skip(f"shared FHIR samples not found at {FHIR}")
    story = collection(*(json.loads((FHIR / "us-core" / name).read_text(encoding="utf-8"))
                         for name in US_CORE_STORY))
    import_bundle(session, story)
    for name in ("practitioners.json", "sample_complete_patient.json"):
        import_bundle(session, (FHIR / "synthea" / name).read_bytes())
    session.commit()
    assert session.scalars(select(PlanRule)).all() == []


def test_an_instruction_added_to_the_us_core_plan_becomes_a_rule(session):
    if not (FHIR / "us-core").is_dir():
        pytest.skip(f"shared FHIR samples not found at {FHIR}")
    resources = [json.loads((FHIR / "us-core" / name).read_text(encoding="utf-8"))
                 for name in US_CORE_STORY]
    plan = next(r for r in resources if r["resourceType"] == "CarePlan")
    plan.setdefault("activity", []).append({"detail": {"status": "in-progress",
                                        "description": "Call if you vomit blood or if your "
                                                       "systolic blood pressure is below 90"}})
    summary = import_bundle(session, collection(*resources))
    session.commit()
    rule = session.scalars(select(PlanRule)).one()
    assert (rule.metric, rule.threshold, rule.state) == ("bp_systolic_below", 90, "derived")
    assert summary.rules_derived == 1 and "Derived 1 care-plan rule" in str(summary)
