"""Walter's comprehensive heart-failure care plan as his EHR exports it (FHIR R4, one Bundle).

References come in each form real exports use: urn:uuid, relative, and a conditional
reference to the care manager by NPI. An Observation and an Encounter ride along, as ever.
"""

from __future__ import annotations

from typing import Any

NPI = "http://hl7.org/fhir/sid/us-npi"
WALTER_URL = "urn:uuid:7a1d5c2e-0c3b-4b8e-9f1a-1c2d3e4f5a01"
WEIGHT_GOAL_URL = "urn:uuid:7a1d5c2e-0c3b-4b8e-9f1a-1c2d3e4f5a02"
NORA_NPI = "1234567893"
WALTER_PHONE = "+12025550142"
LENA_PHONE = "+12025550150"


def _code(text: str, code: str | None = None, system: str = "http://snomed.info/sct"):
    concept: dict[str, Any] = {"text": text}
    if code:
        concept["coding"] = [{"system": system, "code": code, "display": text}]
    return concept


def walter_care_plan(*, privacy_status: str = "active", pl: bool = True) -> dict[str, Any]:
    """The bundle; ``privacy_status`` is the status of his consent about his caregivers."""
    walter = {"reference": WALTER_URL}
    nora = {"reference": f"Practitioner?identifier={NPI}|{NORA_NPI}", "display": "Nora Reyes, RN"}
    resources: list[tuple[str | None, dict[str, Any]]] = [
        (WALTER_URL, {
            "resourceType": "Patient", "id": "walter",
            "name": [{"given": ["Walter"], "family": "Kowalski"}], "birthDate": "1948-02-11",
            "telecom": [{"system": "phone", "value": WALTER_PHONE, "use": "mobile"}],
            "communication": [{"language": _code("Polish", "pl", "urn:ietf:bcp:47"),
                               "preferred": True}] if pl else []}),
        (None, {"resourceType": "Practitioner", "id": "nora",
                "identifier": [{"system": NPI, "value": NORA_NPI}],
                "name": [{"given": ["Nora"], "family": "Reyes"}],
                "telecom": [{"system": "email", "value": "nora@clinic.test"}]}),
        (None, {"resourceType": "Practitioner", "id": "ben",
                "name": [{"given": ["Ben"], "family": "Okafor"}]}),
        (None, {"resourceType": "RelatedPerson", "id": "lena", "patient": walter,
                "relationship": [_code("daughter")], "name": [{"text": "Lena Kowalski"}],
                "telecom": [{"system": "phone", "value": LENA_PHONE, "use": "mobile"}]}),
        (None, {"resourceType": "RelatedPerson", "id": "tom", "patient": walter,
                "relationship": [_code("neighbor")], "name": [{"text": "Tom Brennan"}]}),
        (None, {"resourceType": "CareTeam", "id": "walter-team", "status": "active",
                "subject": walter,
                "participant": [{"role": [_code("Case manager", "768730001")], "member": nora},
                                {"role": [_code("Nurse")],
                                 "member": {"reference": "Practitioner/ben"}}]}),
        (None, {"resourceType": "Condition", "id": "walter-hf", "subject": walter,
                "code": _code("Chronic systolic heart failure", "441481004"),
                "clinicalStatus": {"coding": [{
                    "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                    "code": "active"}]}}),
        (WEIGHT_GOAL_URL, {
            "resourceType": "Goal", "id": "walter-weight", "lifecycleStatus": "active",
            "achievementStatus": {"coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/goal-achievement",
                "code": "in-progress"}]},
            "description": {"text": "Dry weight at or under 180 lb"}, "subject": walter,
            "startDate": "2026-09-01",
            "target": [{"measure": _code("Body weight", "29463-7", "http://loinc.org"),
                        "detailQuantity": {"value": 180, "comparator": "<=", "unit": "lb"},
                        "dueDate": "2026-12-31"}],
            "note": [{"text": "Weigh after voiding, before breakfast"}]}),
        (None, {"resourceType": "Goal", "id": "walter-walk", "lifecycleStatus": "active",
                "description": {"text": "Walk 20 minutes a day"}, "subject": walter,
                "target": [{"detailString": "20 minutes, 5 days a week",
                            "dueDuration": {"value": 3, "unit": "months"}}]}),
        (None, {"resourceType": "CarePlan", "id": "walter-hf-plan", "status": "active",
                "intent": "plan", "title": "Heart failure care plan", "subject": walter,
                "period": {"start": "2026-09-01", "end": "2027-03-01"},
                "goal": [{"reference": WEIGHT_GOAL_URL}, {"reference": "Goal/walter-walk"},
                         {"reference": "Goal/elsewhere", "display": "Sodium under 2 g a day"}],
                "note": [{"text": "Prefers calls in the morning"}],
                "activity": [
                    {"detail": {"code": _code("Daily weight monitoring"),
                                "description": "Weigh every morning and text the reading",
                                "status": "in-progress", "performer": [nora],
                                "scheduledTiming": {"repeat": {"frequency": 1, "period": 1,
                                                               "periodUnit": "d"}}}},
                    {"detail": {"kind": "ServiceRequest",
                                "code": _code("Cardiology follow-up"),
                                "status": "scheduled",
                                "performer": [{"reference": "Practitioner/dr-patel",
                                               "display": "Dr. Amir Patel, Metro Heart"}],
                                "scheduledPeriod": {"start": "2026-12-04"}}},
                    {"detail": {"description": "Meals on Wheels: low-sodium lunch on weekdays",
                                "status": "in-progress",
                                "performer": [{"reference": "Organization/mow",
                                               "display": "Meals on Wheels Metro"}]}},
                    {"detail": {"code": _code("Medication reconciliation"),
                                "status": "not-started",
                                "performer": [{"reference": "Practitioner/ben"}],
                                "scheduledString": "at the next visit"}},
                ]}),
        (None, {"resourceType": "ClinicalImpression", "id": "walter-assessment",
                "status": "completed", "subject": walter,
                "effectiveDateTime": "2026-09-01",
                "summary": "NYHA class II, euvolemic on his current diuretic",
                "prognosisCodeableConcept": [{"text": "Fair prognosis"}]}),
        (None, {"resourceType": "MedicationRequest", "id": "walter-furosemide",
                "status": "active", "intent": "order", "subject": walter,
                "medicationCodeableConcept": {"text": "Furosemide 40 MG Oral Tablet"},
                "dosageInstruction": [{"text": "1 tablet every morning"}]}),
        (None, {"resourceType": "AllergyIntolerance", "id": "walter-penicillin",
                "criticality": "high", "patient": walter, "code": {"text": "Penicillin"}}),
        (None, {"resourceType": "Consent", "id": "walter-ccm", "status": "active",
                "scope": _code("treatment", "treatment",
                               "http://terminology.hl7.org/CodeSystem/consentscope"),
                "category": [{"text": "Verbal consent to chronic care management"}],
                "patient": walter, "dateTime": "2026-08-20"}),
        (None, {"resourceType": "Consent", "id": "walter-family", "status": privacy_status,
                "scope": _code("privacy", "patient-privacy",
                               "http://terminology.hl7.org/CodeSystem/consentscope"),
                "category": [{"text": "Sharing with family"}], "patient": walter,
                "provision": {"type": "permit",
                              "actor": [{"role": _code("caregiver"),
                                         "reference": {"reference": "RelatedPerson/lena"}}],
                              "code": [_code("Medications"), _code("Appointments"),
                                       _code("Test results")],
                              "provision": [{"type": "deny",
                                             "code": [_code("Mental health notes")]},
                                            {"type": "permit",
                                             "actor": [{"role": _code("neighbor"),
                                                        "reference": {
                                                            "reference": "RelatedPerson/tom"}}],
                                             "code": [_code("Appointment times")]}]}}),
        (None, {"resourceType": "Observation", "id": "walter-weight-obs", "status": "final",
                "code": _code("Body weight"), "subject": walter}),
        (None, {"resourceType": "Encounter", "id": "walter-visit", "status": "finished",
                "class": {"code": "AMB"}, "subject": walter}),
    ]
    return {"resourceType": "Bundle", "type": "collection", "entry": [
        {"fullUrl": url or f"http://ehr.example.org/fhir/{r['resourceType']}/{r['id']}",
         "resource": r} for url, r in resources]}
