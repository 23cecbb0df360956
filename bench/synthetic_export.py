"""A synthetic EHR export for the benchmarks: patients with whole care plans, FHIR R4 JSON.

Each patient comes with what a CCM practice's EHR sends: two caregivers (RelatedPerson), a
care team naming a care manager (by a conditional NPI reference) and a nurse, a care plan
with activities (one of them community services, one a referral, performers resolved to
staff or named outside), goals with measurable targets, conditions, medication requests,
allergies, a CCM consent and a consent saying what a caregiver may be told; plus the
Observations and Encounters real exports are full of, which the hub passes over. References
mix urn:uuid, relative and conditional forms. Practitioners (a pool shared by all patients)
come first. Deterministic: patient ``i`` is the same in every run.
"""

from __future__ import annotations

import uuid
from typing import Any

NPI = "http://hl7.org/fhir/sid/us-npi"
SCT = "http://snomed.info/sct"
STAFF = 40
CONDITIONS = ["Chronic systolic heart failure", "Type 2 diabetes mellitus", "Hypertension",
              "Chronic obstructive lung disease", "Chronic kidney disease stage 3",
              "Atrial fibrillation", "Major depression, recurrent", "Osteoarthritis of knee"]
MEDICATIONS = ["Furosemide 40 MG Oral Tablet", "Metformin 500 MG Oral Tablet",
               "Lisinopril 10 MG Oral Tablet", "Apixaban 5 MG Oral Tablet",
               "Atorvastatin 40 MG Oral Tablet", "Sertraline 50 MG Oral Tablet",
               "Tiotropium 18 MCG Inhalation Capsule", "Metoprolol succinate 50 MG"]


def _urn(kind: str, i: int, n: int = 0) -> str:
    return "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"bench/{kind}/{i}/{n}"))


def _npi(s: int) -> str:
    return f"{1_000_000_000 + s}"


def _text(text: str, code: str | None = None) -> dict[str, Any]:
    concept: dict[str, Any] = {"text": text}
    if code:
        concept["coding"] = [{"system": SCT, "code": code, "display": text}]
    return concept


def practitioners() -> list[tuple[str, dict[str, Any]]]:
    """The practice's staff, as the EHR's Practitioner resources."""
    return [(f"https://ehr.example.org/fhir/Practitioner/staff-{s}", {
        "resourceType": "Practitioner", "id": f"staff-{s}",
        "identifier": [{"system": NPI, "value": _npi(s)}],
        "name": [{"given": [f"Staff{s}"], "family": "Bench"}],
        "telecom": [{"system": "phone", "value": f"+1303900{s:04d}", "use": "mobile"},
                    {"system": "email", "value": f"staff{s}@bench.test"}]})
        for s in range(STAFF)]


def patient(i: int, size: int = 1, observations: int = 10,
            encounters: int = 3) -> list[tuple[str, dict[str, Any]]]:
    """Patient ``i``'s resources; ``size`` multiplies the care plan's lists (a richer plan)."""
    me = _urn("Patient", i)
    subject = {"reference": me}
    manager, nurse = i % STAFF, (i + 1) % STAFF
    out: list[tuple[str, dict[str, Any]]] = [(me, {
        "resourceType": "Patient", "id": f"p{i}",
        "name": [{"given": [f"Given{i}"], "family": f"Family{i}"}], "birthDate": "1946-05-17",
        "telecom": [{"system": "phone", "value": f"+1303{i:07d}", "use": "mobile"}],
        "communication": [{"language": {"coding": [{"system": "urn:ietf:bcp:47",
                                                    "code": "es" if i % 5 == 0 else "en"}]},
                           "preferred": True}]})]
    carers = []
    for n, relation in enumerate(["daughter", "neighbor"][: 1 + (size > 1 or i % 2)]):
        carers.append(f"RelatedPerson/rp{i}-{n}")
        out.append((_urn("RelatedPerson", i, n), {
            "resourceType": "RelatedPerson", "id": f"rp{i}-{n}", "patient": subject,
            "relationship": [_text(relation)], "name": [{"text": f"Carer{n} Family{i}"}],
            "telecom": [{"system": "phone", "value": f"+1304{i:06d}{n}", "use": "mobile"}]}))
    out.append((_urn("CareTeam", i), {
        "resourceType": "CareTeam", "id": f"ct{i}", "status": "active", "subject": subject,
        "participant": [
            {"role": [_text("Case manager", "768730001")],
             "member": {"reference": f"Practitioner?identifier={NPI}|{_npi(manager)}"}},
            {"role": [_text("Nurse")], "member": {"reference": f"Practitioner/staff-{nurse}"}},
            {"role": [_text("Patient")], "member": subject}],
        "period": {"start": "2026-01-05"}}))
    goals = []
    for n in range(2 * size):
        goals.append(_urn("Goal", i, n))
        out.append((goals[-1], {
            "resourceType": "Goal", "id": f"g{i}-{n}", "lifecycleStatus": "active",
            "achievementStatus": {"coding": [{"code": "in-progress"}]},
            "description": {"text": f"Goal {n}: keep weight at or under {180 + n} lb"},
            "subject": subject,
            "target": [{"measure": {"text": "Body weight"},
                        "detailQuantity": {"value": 180 + n, "comparator": "<=", "unit": "lb"},
                        "dueDate": "2026-12-31"}]}))
    activities: list[dict[str, Any]] = []
    for n in range(2 * size):
        activities.append({"detail": {
            "code": _text(f"Daily weight monitoring {n}"), "status": "in-progress",
            "performer": [{"reference": f"Practitioner/staff-{manager}"}],
            "scheduledTiming": {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d"}}}})
        activities.append({"detail": {
            "description": f"Meals on Wheels: low-sodium lunch on weekdays ({n})",
            "status": "in-progress",
            "performer": [{"reference": "Organization/mow", "display": "Meals on Wheels"}]}})
        activities.append({"detail": {
            "kind": "ServiceRequest", "code": _text(f"Cardiology follow-up {n}"),
            "status": "scheduled", "scheduledPeriod": {"start": "2026-12-04"},
            "performer": [{"reference": "Practitioner/outside", "display": "Dr. Outside"}]}})
    out.append((_urn("CarePlan", i), {
        "resourceType": "CarePlan", "id": f"cp{i}", "status": "active", "intent": "plan",
        "title": "Chronic care management plan", "subject": subject,
        "period": {"start": "2026-01-05", "end": "2027-01-05"},
        "goal": [{"reference": g} for g in goals], "activity": activities}))
    for n in range(min(2 * size, len(CONDITIONS))):
        out.append((_urn("Condition", i, n), {
            "resourceType": "Condition", "id": f"c{i}-{n}", "subject": subject,
            "code": _text(CONDITIONS[(i + n) % len(CONDITIONS)]),
            "clinicalStatus": {"coding": [{"code": "active"}]}}))
    for n in range(min(3 * size, len(MEDICATIONS))):
        out.append((_urn("MedicationRequest", i, n), {
            "resourceType": "MedicationRequest", "id": f"m{i}-{n}", "status": "active",
            "intent": "order", "subject": {"reference": f"Patient/p{i}"},
            "medicationCodeableConcept": {"text": MEDICATIONS[(i + n) % len(MEDICATIONS)]},
            "dosageInstruction": [{"text": "1 tablet every morning"}],
            "authoredOn": "2026-03-01"}))
    for n in range(size):
        out.append((_urn("AllergyIntolerance", i, n), {
            "resourceType": "AllergyIntolerance", "id": f"a{i}-{n}", "patient": subject,
            "criticality": "high" if n == 0 else "low", "code": {"text": f"Penicillin {n}"}}))
    out.append((_urn("Consent", i), {
        "resourceType": "Consent", "id": f"ccm{i}", "status": "active",
        "scope": {"coding": [{"code": "treatment"}]},
        "category": [{"text": "Verbal consent to chronic care management"}],
        "patient": subject, "dateTime": "2026-01-05"}))
    out.append((_urn("Consent", i, 1), {
        "resourceType": "Consent", "id": f"share{i}", "status": "active",
        "scope": {"coding": [{"code": "patient-privacy"}]},
        "category": [{"text": "Sharing with family"}], "patient": subject,
        "provision": {"type": "permit", "actor": [
            {"role": _text("caregiver"), "reference": {"reference": r}} for r in carers],
            "code": [_text("Medications"), _text("Appointments")],
            "provision": [{"type": "deny", "code": [_text("Mental health notes")]}]}}))
    for n in range(observations):
        out.append((_urn("Observation", i, n), {
            "resourceType": "Observation", "id": f"o{i}-{n}", "status": "final",
            "code": {"text": "Body weight"}, "subject": subject,
            "valueQuantity": {"value": 180 + n % 5, "unit": "lb"}}))
    for n in range(encounters):
        out.append((_urn("Encounter", i, n), {
            "resourceType": "Encounter", "id": f"e{i}-{n}", "status": "finished",
            "class": {"code": "AMB"}, "subject": subject}))
    return out


def export(patients: int, size: int = 1, observations: int = 10, encounters: int = 3,
           first_size: int | None = None) -> dict[str, Any]:
    """A collection Bundle: the practitioners, then every patient's resources (the first
    patient's plan ``first_size`` times richer when given)."""
    pairs = practitioners()
    for i in range(patients):
        pairs += patient(i, first_size if i == 0 and first_size else size, observations,
                         encounters)
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"fullUrl": url, "resource": r} for url, r in pairs]}
