"""The demo practice seeded into an empty local database, and what ``python app.py`` prints."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from config.settings import CONFIG_DIR, Settings
from hub import demo_care_plan
from hub.models import Caregiver, Patient, PatientPhone, PlanRule, Staff, utcnow
from hub.phones import phone_index

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
                      role=role, password_hash=generate_password_hash(password))
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
    demo_care_plan.seed(session, patients[0], by_email[PATIENTS[0][4]],
                        by_email["ben.okafor@demo.clinic"], caregiver)
    from routing.ical_import import import_schedule

    calendar = (CONFIG_DIR / "demo_schedule.ics").read_bytes()
    import_schedule(session, calendar, tz=settings.tz, now=utcnow(), source="demo")
    return True


def welcome(settings: Settings, seeded: bool) -> str:
    """What ``python app.py`` prints: URLs, logins, and how to try the line without Twilio."""
    url = settings.public_url
    lines = [
        f"Care-line hub serving on {url}",
        f"  database: {settings.database_url}" + ("  (demo practice seeded)" if seeded else ""),
        f"  outbound: {'local outbox (hub outbox lists it)' if settings.local_mode else 'Twilio'}",
        f"  staff pages: {url}/staff   health: {url}/healthz   metrics: {url}/metrics",
        f"  Twilio webhooks: {url}/twilio/sms  {url}/twilio/voice  {url}/twilio/status",
        "  demo logins: " + ", ".join(f"{e} / {p}" for _, e, _, _, p in STAFF),
        "Try it (in another terminal):",
        f'  hub simulate sms --from {PATIENTS[0][3]} "I feel short of breath tonight"'
        "   # urgent: 911 answer, SMS and call",
        "  hub outbox                                   # the page the nurse got",
        '  hub simulate sms --from <the number the page went to> "ACK"   # she acknowledges',
        f'  hub simulate sms --from {PATIENTS[1][3]} "necesito una receta"'
        "   # routine: out of office hours it waits for the morning",
    ]
    return "\n".join(lines)
