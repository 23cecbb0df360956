"""The demo patient Walter's comprehensive care plan, so a newcomer's first page shows one."""

from __future__ import annotations

import json

from sqlalchemy.orm import Session

from hub.models import (
    Allergy,
    Caregiver,
    CaregiverDisclosure,
    CarePlan,
    CarePlanActivity,
    CarePlanField,
    Condition,
    Consent,
    Goal,
    Medication,
    Patient,
    Staff,
)

FIELDS = {
    "expected_outcome": "Stays at home through the winter without a hospital stay",
    "prognosis": "Stable with daily weights and diuretic adjustment; guarded after any admission",
    "emergency_instructions": "Chest pain, fainting or breathless at rest: call 911, then "
                              "his daughter Lena. He has a DNR order on the fridge.",
    "community_services": "Senior center lunch program on Tuesdays",
}

# The plan's list as an import of the same plan would keep it (hub.fhir.mapping), so the
# demo plan goes to an EHR and back unchanged: each activity by its code (else its
# description) and status, the goal it names.
CONTENT = {
    "description": None, "narrative": None, "categories": [],
    "activities": [{"text": "Daily weight", "status": "in-progress"},
                   {"text": "Medication reconciliation", "status": "not-started"},
                   {"text": "Meals on Wheels: low-sodium lunch on weekdays",
                    "status": "in-progress"},
                   {"text": "Cardiology follow-up", "status": "scheduled"}],
    "goals": [{"display": "Dry weight at or under 180 lb", "goal_id": "demo-weight"}],
    "note": None,
}


def seed(session: Session, walter: Patient, manager: Staff, nurse: Staff,
         caregiver: Caregiver) -> None:
    """Walter's heart-failure plan: problems, goals, activities, medications, who may be told."""
    pid = walter.id
    session.add_all([
        Condition(patient_id=pid, fhir_id="demo-hf", code="441481004",
                  text="Chronic systolic heart failure", clinical_status="active"),
        Condition(patient_id=pid, fhir_id="demo-htn", code="38341003", text="Hypertension",
                  clinical_status="active"),
        Goal(patient_id=pid, fhir_id="demo-weight", lifecycle_status="active",
             achievement_status="in-progress", description="Dry weight at or under 180 lb",
             targets=json.dumps([{"measure": "Body weight", "detail": "<= 180 lb",
                                  "due": "2027-01-31"}])),
        Medication(patient_id=pid, kind="request", fhir_id="demo-furosemide", status="active",
                   text="Furosemide 40 MG Oral Tablet", dosage="1 tablet every morning"),
        Allergy(patient_id=pid, fhir_id="demo-penicillin", clinical_status="active",
                criticality="high", substance="Penicillin", reaction="hives (severe)"),
        *(CarePlanField(patient_id=pid, field=name, text=text, updated_by="demo")
          for name, text in FIELDS.items()),
    ])
    plan = CarePlan(patient_id=pid, fhir_id="demo-plan", status="active", intent="plan",
                    title="Heart failure care plan", period_start="2026-09-01",
                    period_end="2027-03-01", content=json.dumps(CONTENT))
    plan.activities = [
        CarePlanActivity(position=0, kind="intervention", status="in-progress",
                         text="Daily weight: weigh every morning and text the reading",
                         scheduled="once a day", performer_id=manager.id),
        CarePlanActivity(position=1, kind="intervention", status="not-started",
                         text="Medication reconciliation", scheduled="at the next visit",
                         performer_id=nurse.id),
        CarePlanActivity(position=2, kind="community", status="in-progress",
                         text="Meals on Wheels: low-sodium lunch on weekdays",
                         performer_text="Meals on Wheels Metro"),
        CarePlanActivity(position=3, kind="referral", status="scheduled",
                         text="Cardiology follow-up", scheduled="from 2026-12-04",
                         performer_text="Dr. Amir Patel, Metro Heart"),
    ]
    consent = Consent(patient_id=pid, fhir_id="demo-ccm", status="active", date="2026-08-20",
                      method="verbal", obtained_by=manager.name, scope="treatment")
    session.add_all([plan, consent, CaregiverDisclosure(
        caregiver=caregiver, permit=True, what="medications, appointments and test results")])
