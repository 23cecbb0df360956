"""Small FHIR element builders the exported resources share: concepts, absent values, and
leaving out what is empty (FHIR JSON has no null and no empty arrays or objects)."""

from __future__ import annotations

from typing import Any

DATA_ABSENT = "http://hl7.org/fhir/StructureDefinition/data-absent-reason"


def drop_empty(element: dict[str, Any]) -> dict[str, Any]:
    """The element without its null, empty-string and empty-collection values."""
    return {k: v for k, v in element.items() if v not in (None, [], {}, "")}


def concept(code: str | None, text: str | None, system: str | None = None) -> dict[str, Any]:
    """A CodeableConcept of one code (with its system, when known) and a text."""
    coding = [drop_empty({"system": system, "code": code})] if code else []
    return drop_empty({"coding": coding, "text": text})


def absent(reason: str = "unknown") -> dict[str, Any]:
    """An element the hub must give but does not know (data-absent-reason extension)."""
    return {"extension": [{"url": DATA_ABSENT, "valueCode": reason}]}
