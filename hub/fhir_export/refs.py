"""How exported resources name the hub's people: by their FHIR id when the EHR gave one,
else by a logical reference (an identifier in the hub's own namespace).

A logical reference (``{"type": "Patient", "identifier": {...}}``) is valid R4 and lets the
receiving EHR match on its side without the hub inventing ids it would have to keep.
"""

from __future__ import annotations

from typing import Any

from hub.models import Caregiver, Patient, Staff

URI = "urn:ietf:rfc:3986"  # the identifier system for a value that is itself a URI


class Namespace:
    """The hub's identifier systems, under its public URL (``.../fhir/sid/patient``)."""

    def __init__(self, public_url: str) -> None:
        self.base = public_url.rstrip("/")

    def system(self, kind: str) -> str:
        return f"{self.base}/fhir/sid/{kind}"

    def full_url(self, resource_type: str, resource_id: str) -> str:
        return f"{self.base}/fhir/{resource_type}/{resource_id}"

    def _ref(self, resource_type: str, kind: str, fhir_id: str | None, row_id: int,
             display: str | None) -> dict[str, Any]:
        if fhir_id:
            ref: dict[str, Any] = {"reference": f"{resource_type}/{fhir_id}"}
        else:
            ref = {"type": resource_type,
                   "identifier": {"system": self.system(kind), "value": str(row_id)}}
        if display:
            ref["display"] = display
        return ref

    def patient(self, patient: Patient) -> dict[str, Any]:
        return self._ref("Patient", "patient", patient.fhir_id, patient.id, patient.name)

    def caregiver(self, caregiver: Caregiver) -> dict[str, Any]:
        return self._ref("RelatedPerson", "related-person", caregiver.fhir_id, caregiver.id,
                         caregiver.name)

    def staff(self, staff: Staff) -> dict[str, Any]:
        return self._ref("Practitioner", "staff", staff.fhir_id, staff.id, staff.name)


def phone_ref(number: str, note: str) -> dict[str, Any]:
    """A sender known only by number: a logical reference to the tel: URI (RFC 3966)."""
    return {"identifier": {"system": URI, "value": f"tel:{number}"},
            "display": f"{number} ({note})"}

