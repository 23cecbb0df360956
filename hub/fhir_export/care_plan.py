"""A patient's care plan, care team and chart as FHIR R4 resources that ``hub import-fhir``
takes back without changing a thing (the round trip is tested field by field).

Each resource type has one small builder that reads only what the hub keeps, so a field
the import learns to keep is exported by adding one line to its builder: people, care
teams and problems here, the comprehensive plan (CarePlan, Goal, ClinicalImpression) in
:mod:`hub.fhir_export.plan`, medications, allergies and consents in
:mod:`hub.fhir_export.chart`. Rules that keep the round trip exact:

- every value is written where the importer reads it (a Condition's text as ``code.text``,
  a consent's method in its category text, a medication with no name as a
  data-absent-reason extension, an activity's kind as what makes the importer sort it so);
- rows created in the hub, not imported (a patient or staff member entered by hand), get
  a stable FHIR id the first time they are exported (``hub-patient-12``), kept on the row,
  so the next import (or the EHR's) finds the same row instead of making another;
- what the hub does not keep is not invented, except a value R4 requires:
  MedicationRequest.intent ("order"), CarePlan status/intent ("unknown"/"plan") when
  missing, a consent provision's actor role (information recipient).

Not exported: the care-plan thresholds of ``hub plan-rule`` and the fields and disclosures
recorded with ``hub care-plan`` (not FHIR-sourced; a re-import leaves them as they are),
staff phone numbers and e-mail addresses (the EHR has its own, and the importer keeps the
hub's when a Practitioner gives none), the designated care manager when no care team names
them (no FHIR element the importer reads carries it).
"""

from __future__ import annotations

import re
from typing import Any

from fhir.resources.R4B.codeableconcept import CodeableConcept
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.fhir import mapping
from hub.fhir_export.chart import ChartExport
from hub.fhir_export.elements import concept, drop_empty
from hub.fhir_export.plan import PlanExport
from hub.fhir_export.refs import Namespace
from hub.models import (
    Allergy,
    Caregiver,
    CarePlan,
    CareTeam,
    Condition,
    Consent,
    Goal,
    Medication,
    Patient,
    Prognosis,
    Staff,
)

LANGUAGE = "urn:ietf:bcp:47"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CASE_MANAGER = {"coding": [{"system": mapping.SNOMED, "code": mapping.CASE_MANAGER_SNOMED,
                            "display": "Case manager"}]}
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
_PHONE_USES = {"home", "work", "temp", "mobile"}


class CarePlanExport(PlanExport, ChartExport):
    """The resources of one patient; ``minted`` counts the FHIR ids given on the way."""

    def __init__(self, session: Session, ns: Namespace) -> None:
        self.session = session
        self.ns = ns
        self.minted = 0
        self.practitioners: dict[int, Staff] = {}

    def _id(self, row: Any, kind: str) -> str:
        if not row.fhir_id:
            row.fhir_id = f"{mapping.HUB_ID_PREFIX}{kind}-{row.id}"
            self.minted += 1
        return str(row.fhir_id)

    def _patient_ref(self, patient: Patient) -> dict[str, str]:
        return {"reference": f"Patient/{self._id(patient, 'patient')}"}

    def _staff_ref(self, staff: Staff) -> dict[str, str]:
        self.practitioners.setdefault(staff.id, staff)
        return {"reference": f"Practitioner/{self._id(staff, 'staff')}"}

    def resources(self, patient: Patient) -> list[dict[str, Any]]:
        """Every Practitioner the others name, then the patient, caregivers, care teams, plans,
        problems, goals, assessments, medications, allergies and consents (the importer's
        order)."""
        pid = patient.id

        def rows(table: Any, *order: Any) -> list[Any]:
            return list(self.session.scalars(
                select(table).where(table.patient_id == pid).order_by(*order, table.id)))

        teams = rows(CareTeam)
        # A team naming the current care manager goes last: its import sets the designation.
        teams.sort(key=lambda t: any(m.is_care_manager and m.staff_id == patient.care_manager_id
                                     for m in t.members))
        out = [self.patient(patient)]
        out += [self.related_person(c) for c in rows(Caregiver)]
        out += [self.care_team(t) for t in teams]
        out += [self.care_plan(p) for p in rows(CarePlan)]
        out += [self.condition(c) for c in rows(Condition)]
        out += [self.goal(g) for g in rows(Goal)]
        out += [self.clinical_impression(p) for p in rows(Prognosis)]
        out += [self.medication(m) for m in rows(Medication, Medication.kind)]
        out += [self.allergy(a) for a in rows(Allergy)]
        out += [self.consent(c) for c in rows(Consent)]
        return [*(self.practitioner(s) for s in self.practitioners.values()), *out]

    # -- people -------------------------------------------------------------------------

    def patient(self, patient: Patient) -> dict[str, Any]:
        telecom = [drop_empty({"system": "phone", "value": p.phone,
                                "use": p.use if p.use in _PHONE_USES else None})
                   for p in sorted(patient.phones, key=lambda p: p.id)]
        birth = patient.birth_date if patient.birth_date and _DATE.match(patient.birth_date) \
            else None
        return drop_empty({
            "resourceType": "Patient", "id": self._id(patient, "patient"),
            "identifier": [{"system": self.ns.system("patient"), "value": str(patient.id)}],
            "name": [{"text": patient.name}], "telecom": telecom, "birthDate": birth,
            "communication": [{"language": {"coding": [{"system": LANGUAGE,
                                                        "code": patient.language}]},
                               "preferred": True}],
        })

    def related_person(self, caregiver: Caregiver) -> dict[str, Any]:
        phone = [{"system": "phone", "value": caregiver.phone, "use": "mobile"}] \
            if caregiver.phone else []
        relationship = [{"text": caregiver.relationship_text}] \
            if caregiver.relationship_text else []
        return drop_empty({
            "resourceType": "RelatedPerson", "id": self._id(caregiver, "related-person"),
            "patient": self._patient_ref(caregiver.patient), "name": [{"text": caregiver.name}],
            "relationship": relationship, "telecom": phone,
        })

    def practitioner(self, staff: Staff) -> dict[str, Any]:
        identifier = []
        if staff.fhir_identifier:
            system, _, value = staff.fhir_identifier.partition("|")
            identifier = [drop_empty({"system": system, "value": value})]
        return drop_empty({
            "resourceType": "Practitioner", "id": self._id(staff, "staff"),
            "identifier": identifier, "active": staff.active, "name": [{"text": staff.name}],
        })

    # -- care ---------------------------------------------------------------------------

    def care_team(self, team: CareTeam) -> dict[str, Any]:
        participants = []
        for member in sorted(team.members, key=lambda m: m.id):
            roles = [role] if (role := concept(member.role_code, member.role_display)) else []
            if member.is_care_manager and not mapping.is_care_manager(
                    [CodeableConcept.model_validate(r) for r in roles]):
                roles.append(CASE_MANAGER)
            participants.append(drop_empty({"member": self._staff_ref(member.staff),
                                             "role": roles}))
        return drop_empty({
            "resourceType": "CareTeam", "id": self._id(team, "care-team"),
            "status": team.status, "name": team.name,
            "subject": self._patient_ref(team.patient), "participant": participants,
        })

    def condition(self, condition: Condition) -> dict[str, Any]:
        status = concept(condition.clinical_status, None, CONDITION_CLINICAL)
        return drop_empty({
            "resourceType": "Condition", "id": self._id(condition, "condition"),
            "clinicalStatus": status, "code": concept(condition.code, condition.text),
            "subject": self._patient_ref(condition.patient),
        })
