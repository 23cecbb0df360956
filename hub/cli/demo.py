"""The demo practice: what ``python app.py`` and ``hub seed-demo`` seed into an empty database
(staff, two patients, a caregiver, Walter's care plan, the on-call calendar), and what
``python app.py`` prints."""

from __future__ import annotations

import json

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from config.settings import CONFIG_DIR, DEFAULT_PUBLIC_URL, Settings
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
    PatientPhone,
    PlanRule,
    Staff,
    utcnow,
)
from hub.passwords import hash_password
from hub.phones import phone_index
from routing.ical_import import import_schedule

# 555-01xx numbers are reserved for fiction; nobody real is ever paged by the demo.
STAFF = [
    ("Nora Reyes", "nora.reyes@demo.clinic", "+12025550101", "care_manager", "demo-nora"),
    ("Ben Okafor", "ben.okafor@demo.clinic", "+12025550102", "nurse", "demo-ben"),
    ("Maya Chen", "maya.chen@demo.clinic", "+12025550103", "manager", "demo-maya"),
]
PATIENTS = [
    ("Walter Demo", "1948-02-11", "en", "+12025550142", "nora.reyes@demo.clinic"),
    ("Rosa Demo", "1952-09-30", "es", "+12025550143", "ben.okafor@demo.clinic"),
]
CAREGIVER = ("Lena Demo", "daughter", "+12025550150", 0)
# Walter has heart failure, Rosa diabetes: their plans' symptom-management thresholds.
PLAN_RULES = [
    (0, "R1", "weight_gain_day", 3, "Weight up 3 lb or more in a day: call the care team"),
    (0, "R2", "weight_gain_week", 5, "Weight up 5 lb or more in a week: call the care team"),
    (1, "R1", "glucose_above", 300, "Glucosa mayor de 300: llamar al equipo de atención"),
    (1, "R2", "glucose_below", 70, "Glucosa menor de 70: tomar 15 g de azúcar y llamar"),
]


def seed_if_empty(session: Session, settings: Settings) -> bool:
    """Seed staff, two patients, a caregiver and the demo on-call calendar; False if not empty."""
    if session.scalar(select(func.count(Staff.id))):
        return False
    by_email: dict[str, Staff] = {}
    for name, email, phone, role, password in STAFF:
        staff = Staff(name=name, email=email, phone=phone, phone_index=phone_index(phone),
                      role=role, password_hash=hash_password(password, demo=True))
        session.add(staff)
        by_email[email] = staff
    session.flush()
    patients = []
    for name, born, language, phone, manager in PATIENTS:
        patient = Patient(name=name, birth_date=born, language=language,
                          care_manager_id=by_email[manager].id)
        patient.phones.append(PatientPhone(phone=phone, phone_index=phone_index(phone),
                                           use="mobile"))
        session.add(patient)
        patients.append(patient)
    session.flush()
    for which, code, metric, threshold, instruction in PLAN_RULES:
        session.add(PlanRule(patient_id=patients[which].id, code=code, metric=metric,
                             threshold=threshold, instruction=instruction))
    name, relation, phone, which = CAREGIVER
    caregiver = Caregiver(patient_id=patients[which].id, name=name, relationship_text=relation,
                          phone=phone, phone_index=phone_index(phone))
    session.add(caregiver)
    _seed_care_plan(session, patients[0], by_email[PATIENTS[0][4]],
                        by_email["ben.okafor@demo.clinic"], caregiver)
    calendar = (CONFIG_DIR / "demo_schedule.ics").read_bytes()
    import_schedule(session, calendar, tz=settings.tz, now=utcnow(), source="demo")
    return True


CARE_PLAN_FIELDS = {
    "expected_outcome": "Stays at home through the winter without a hospital stay",
    "prognosis": "Stable with daily weights and diuretic adjustment; guarded after any admission",
    "emergency_instructions": "Chest pain, fainting or breathless at rest: call 911, then "
                              "his daughter Lena. He has a DNR order on the fridge.",
    "community_services": "Senior center lunch program on Tuesdays",
}

# The plan's list as an import of the same plan would keep it (hub.fhir.mapping), so the
# demo plan goes to an EHR and back unchanged: each activity by its code (else its
# description) and status, the goal it names.
CARE_PLAN = {
    "description": None, "narrative": None, "categories": [],
    "activities": [{"text": "Daily weight", "status": "in-progress"},
                   {"text": "Medication reconciliation", "status": "not-started"},
                   {"text": "Meals on Wheels: low-sodium lunch on weekdays",
                    "status": "in-progress"},
                   {"text": "Cardiology follow-up", "status": "scheduled"}],
    "goals": [{"display": "Dry weight at or under 180 lb", "goal_id": "demo-weight"}],
    "note": None,
}


def _seed_care_plan(session: Session, walter: Patient, manager: Staff, nurse: Staff,
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
          for name, text in CARE_PLAN_FIELDS.items()),
    ])
    plan = CarePlan(patient_id=pid, fhir_id="demo-plan", status="active", intent="plan",
                    title="Heart failure care plan", period_start="2026-09-01",
                    period_end="2027-03-01", content=json.dumps(CARE_PLAN))
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


def welcome(settings: Settings, seeded: bool) -> str:
    """What ``python app.py`` prints: URLs, logins, and how to try the line without Twilio.

    A shell without HUB_PUBLIC_URL posts to the default URL: on any other (``--port``) the
    commands name this hub's with ``--url``, which is also what its signatures are checked
    against."""
    url = settings.public_url
    simulate = "hub simulate sms" + ("" if url == DEFAULT_PUBLIC_URL else f" --url {url}")
    lines = [
        f"Care-line hub serving on {url}",
        f"  database: {settings.database_url}" + ("  (demo practice seeded)" if seeded else ""),
        f"  outbound: {'local outbox (hub outbox lists it)' if settings.local_mode else 'Twilio'}",
        f"  staff pages: {url}/staff   manager: {url}/manager (Maya)",
        f"  patients' portal: {url}/portal (phone {PATIENTS[0][3]}: its code is in hub outbox)",
        f"  health: {url}/healthz  {url}/readyz   metrics: {url}/metrics",
        f"  Twilio webhooks: {url}/twilio/sms  {url}/twilio/voice  {url}/twilio/status",
        "  demo logins: " + ", ".join(f"{e} / {p}" for _, e, _, _, p in STAFF),
        "  (Maya, a manager, also needs a code: `hub staff enroll-totp maya.chen@demo.clinic`,"
        " then scan its QR code on her account page or the printed URI)",
        "Try it (in another terminal):",
        f'  {simulate} --from {PATIENTS[0][3]} "I feel short of breath tonight"'
        "   # urgent: 911 answer, SMS and call",
        "  hub outbox                                   # the page the nurse got",
        f'  {simulate} --from <the number the page went to> "ACK"   # she acknowledges',
        f'  {simulate} --from {PATIENTS[1][3]} "necesito una receta"'
        "   # routine: out of office hours it waits for the morning",
    ]
    return "\n".join(lines)
