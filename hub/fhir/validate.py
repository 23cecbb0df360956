"""Validate one resource with its FHIR R4B model, codes included, into a readable refusal.

fhir.resources checks structure and primitive formats but not the fixed code lists of
``code`` elements (``CareTeam.status`` = "bogus" passes); :func:`bad_codes` adds that
check from the ``enum_values`` each model field declares.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fhir.resources.R4B.allergyintolerance import AllergyIntolerance
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.careplan import CarePlan
from fhir.resources.R4B.careteam import CareTeam
from fhir.resources.R4B.clinicalimpression import ClinicalImpression
from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.consent import Consent
from fhir.resources.R4B.encounter import Encounter
from fhir.resources.R4B.goal import Goal
from fhir.resources.R4B.medication import Medication
from fhir.resources.R4B.medicationrequest import MedicationRequest
from fhir.resources.R4B.medicationstatement import MedicationStatement
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.practitioner import Practitioner
from fhir.resources.R4B.practitionerrole import PractitionerRole
from fhir.resources.R4B.relatedperson import RelatedPerson
from pydantic import BaseModel, ValidationError

from hub.fhir.summary import FhirImportError

MODELS: dict[str, type[BaseModel]] = {
    "Bundle": Bundle,
    "Patient": Patient,
    "RelatedPerson": RelatedPerson,
    "Practitioner": Practitioner,
    "PractitionerRole": PractitionerRole,
    "CareTeam": CareTeam,
    "CarePlan": CarePlan,
    "Condition": Condition,
    "ClinicalImpression": ClinicalImpression,
    "Goal": Goal,
    "Medication": Medication,
    "MedicationRequest": MedicationRequest,
    "MedicationStatement": MedicationStatement,
    "AllergyIntolerance": AllergyIntolerance,
    "Consent": Consent,
    "Encounter": Encounter,
}


def _path(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def bad_codes(model: BaseModel, path: str = "") -> Iterator[tuple[str, str, list[str]]]:
    """Yield (field path, value, allowed) for every code outside its required value set."""
    for name, info in type(model).model_fields.items():
        value = getattr(model, name, None)
        if value is None:
            continue
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        allowed = extra.get("enum_values")
        label = f"{path}.{info.alias or name}" if path else (info.alias or name)
        items = value if isinstance(value, list) else [value]
        for i, item in enumerate(items):
            where = f"{label}[{i}]" if isinstance(value, list) else label
            if isinstance(item, BaseModel):
                yield from bad_codes(item, where)
            elif isinstance(allowed, list) and isinstance(item, str) and item not in allowed:
                yield where, item, [str(a) for a in allowed]


def validate(kind: str, data: dict[str, Any], label: str) -> Any:
    """The R4B model of ``data``, or FhirImportError naming ``label`` and the first bad field.

    The refusal never repeats the offending value unless it is a code (no patient data).
    """
    model_class = MODELS[kind]
    try:
        model = model_class.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_input=False, include_url=False)[0]
        field = _path(tuple(first["loc"])) or None
        reason = " ".join(str(first["msg"]).split())
        if first["type"] == "extra_forbidden":
            reason = "not an element of " + kind + " in FHIR R4"
        raise FhirImportError(label, field, reason) from None
    except (TypeError, ValueError) as exc:  # fhir_core raises these for some malformed input
        raise FhirImportError(label, None, f"not a valid {kind}: {type(exc).__name__}") from None
    for field, value, allowed in bad_codes(model):
        shown = value if len(value) <= 40 else value[:40] + "..."
        raise FhirImportError(label, field, f"{shown!r} is not one of {' | '.join(allowed)}")
    return model
