"""The export's chart part: MedicationRequest/Statement, AllergyIntolerance and Consent (with
its provisions about caregivers), each value where :mod:`hub.fhir.chart` reads it.

Mixed into :class:`hub.fhir_export.care_plan.CarePlanExport` (which supplies ``_id`` and
``_patient_ref``). What a caregiver may be told goes out as one provision per stored rule,
nested under the consent's provision: ``permit`` or ``deny``, the caregiver as the
information recipient, and what they may (not) be told as the code's text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hub.fhir.plan import EVERYTHING
from hub.fhir_export.elements import absent, concept, drop_empty
from hub.models import Allergy, Consent, Medication, Patient

ALLERGY_CLINICAL = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
LOINC = "http://loinc.org"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
INFORMATION_RECIPIENT = {"coding": [{
    "system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "code": "IRCP",
    "display": "information recipient"}]}
_CONSENT_KIND = {"treatment": "Chronic care management consent",
                 "patient-privacy": "Sharing with caregivers"}


class ChartExport:
    """Builders of the chart's resources (see the module docstring)."""

    if TYPE_CHECKING:  # supplied by CarePlanExport
        def _id(self, row: Any, kind: str) -> str: ...

        def _patient_ref(self, patient: Patient) -> dict[str, str]: ...

    def medication(self, medication: Medication) -> dict[str, Any]:
        named = concept(medication.code, medication.text) or absent()
        dosage = [{"text": medication.dosage}] if medication.dosage else []
        common = {"id": medication.fhir_id, "status": medication.status,
                  "medicationCodeableConcept": named,
                  "subject": self._patient_ref(medication.patient)}
        if medication.kind == "request":
            return drop_empty({"resourceType": "MedicationRequest", **common,
                               "intent": "order", "authoredOn": medication.date,
                               "dosageInstruction": dosage})
        return drop_empty({"resourceType": "MedicationStatement", **common,
                           "dateAsserted": medication.date, "dosage": dosage})

    def allergy(self, allergy: Allergy) -> dict[str, Any]:
        reaction = [{"manifestation": [{"text": allergy.reaction}]}] if allergy.reaction else []
        return drop_empty({
            "resourceType": "AllergyIntolerance", "id": allergy.fhir_id,
            "clinicalStatus": concept(allergy.clinical_status, None, ALLERGY_CLINICAL),
            "criticality": allergy.criticality, "code": concept(None, allergy.substance),
            "patient": self._patient_ref(allergy.patient), "reaction": reaction,
        })

    def consent(self, consent: Consent) -> dict[str, Any]:
        method = f" ({consent.method})" if consent.method else ""
        kind = _CONSENT_KIND.get(consent.scope or "treatment", "Consent")
        return drop_empty({
            "resourceType": "Consent", "id": consent.fhir_id, "status": consent.status,
            "scope": concept(consent.scope, None, CONSENT_SCOPE) or absent(),
            "category": [{"coding": [{"system": LOINC, "code": "59284-0",
                                      "display": "Patient Consent"}],
                          "text": f"{kind}{method}"}],
            "patient": self._patient_ref(consent.patient), "dateTime": consent.date,
            "performer": [{"display": consent.obtained_by}] if consent.obtained_by else [],
            "policyRule": {"coding": [{"system": ACT_CODE, "code": "OPTIN"}]},
            "provision": self._provisions(consent),
        })

    def _provisions(self, consent: Consent) -> dict[str, Any] | None:
        rules = [drop_empty({
            "type": "permit" if rule.permit else "deny",
            "actor": [{"role": INFORMATION_RECIPIENT, "reference": {
                "reference": f"RelatedPerson/{self._id(rule.caregiver, 'related-person')}"}}],
            # A provision naming nothing covers everything: the importer reads it so.
            "code": [{"text": rule.what}] if rule.what != EVERYTHING else [],
        }) for rule in consent.disclosures]
        return {"provision": rules} if rules else None
