"""What an import did (counts only, never names or numbers) and why a bundle was refused."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


class FhirImportError(ValueError):
    """The bundle was refused whole; the message names the resource and the field.

    >>> str(FhirImportError("CareTeam/example", "status", "'bogus' is not a valid code"))
    "CareTeam/example: status: 'bogus' is not a valid code"
    """

    def __init__(self, resource: str, field: str | None = None, reason: str = "") -> None:
        self.resource = resource
        self.field = field
        self.reason = reason
        parts = [p for p in (resource, field, reason) if p]
        super().__init__(": ".join(parts))


# The order resources are reported in (and written in).
CORE_TYPES = (
    "Practitioner",
    "PractitionerRole",
    "Patient",
    "RelatedPerson",
    "CareTeam",
    "CarePlan",
    "Condition",
    "Goal",
    "ClinicalImpression",
)
# The patient's chart beyond the care plan, kept when the import is asked to (hub.fhir.chart).
CHART_TYPES = (
    "MedicationRequest",
    "MedicationStatement",
    "AllergyIntolerance",
    "Consent",
)
KEPT_TYPES = CORE_TYPES + CHART_TYPES
# Read (validated, resolvable) but not stored: a Medication names the requests that refer to it.
READ_TYPES = ("Medication",)
# Read for what they open, not stored as such: a discharge opens a transition task.
EVENT_TYPES = ("Encounter",)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


@dataclass
class ImportSummary:
    """Counts of one import, by FHIR resource type.

    >>> s = ImportSummary(); s.created["Patient"] += 1; s.skipped_types["Observation"] += 3
    >>> s.unchanged["Goal"] += 2
    >>> for sentence in str(s).split(". "): print(sentence)
    Imported 1 Patient (1 new, 0 updated), 2 Goals (0 new, 0 updated, 2 unchanged)
    Passed over 3 resources of types we do not keep (Observation 3).
    """

    created: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)
    unchanged: Counter[str] = field(default_factory=Counter)  # found and written as they were
    skipped_types: Counter[str] = field(default_factory=Counter)
    medications_named: int = 0  # requests and statements named through a Medication resource
    skipped_phones: int = 0
    skipped_emails: int = 0
    care_managers_set: int = 0
    phones_replaced: int = 0  # stored numbers a re-import dropped or changed
    transitions_opened: int = 0  # discharges that opened a transition task
    transitions_known: int = 0  # discharges sent before: their task was already open
    rules_derived: int = 0  # care-plan rules newly derived from plans and goals

    def counts(self) -> dict[str, Any]:
        """The counts as plain data (the audit entry's detail)."""
        return {
            "created": dict(sorted(self.created.items())),
            "updated": dict(sorted(self.updated.items())),
            "unchanged": dict(sorted(self.unchanged.items())),
            "skipped_types": dict(sorted(self.skipped_types.items())),
            "medications_named": self.medications_named,
            "skipped_phones": self.skipped_phones,
            "skipped_emails": self.skipped_emails,
            "care_managers_set": self.care_managers_set,
            "phones_replaced": self.phones_replaced,
            "transitions_opened": self.transitions_opened,
            "transitions_known": self.transitions_known,
            "rules_derived": self.rules_derived,
        }

    def __str__(self) -> str:
        kept = [t for t in KEPT_TYPES if self.created[t] or self.updated[t] or self.unchanged[t]]
        if kept:
            parts = [
                f"{_plural(self.created[t] + self.updated[t] + self.unchanged[t], t)} "
                f"({self.created[t]} new, {self.updated[t]} updated"
                + (f", {self.unchanged[t]} unchanged)" if self.unchanged[t] else ")")
                for t in kept
            ]
            sentences = ["Imported " + ", ".join(parts) + "."]
        else:
            sentences = ["Imported nothing the hub keeps."]
        skipped = sum(self.skipped_types.values())
        if skipped:
            detail = ", ".join(f"{t} {n}" for t, n in sorted(self.skipped_types.items()))
            sentences.append(
                f"Passed over {_plural(skipped, 'resource')} of types we do not keep ({detail})."
            )
        if self.transitions_opened:
            sentences.append(f"Opened {_plural(self.transitions_opened, 'transition task')} "
                             "(interactive contact due in 2 business days).")
        if self.transitions_known:
            sentences.append(f"{_plural(self.transitions_known, 'discharge')} already had "
                             "a transition task: none opened again.")
        if self.medications_named:
            sentences.append(f"Named {_plural(self.medications_named, 'medication')} "
                             "through the Medication resources they refer to.")
        if self.rules_derived:
            sentences.append(f"Derived {_plural(self.rules_derived, 'care-plan rule')} from the "
                             "plans' instructions and goals (hub plan-rule list).")
        if self.care_managers_set:
            sentences.append(
                f"Set the designated care manager of {_plural(self.care_managers_set, 'patient')}."
            )
        if self.phones_replaced:
            sentences.append(
                f"Replaced or removed {_plural(self.phones_replaced, 'phone number')}: "
                "the old numbers no longer match."
            )
        if self.skipped_phones:
            sentences.append(
                f"Skipped {_plural(self.skipped_phones, 'phone number')} that did not parse."
            )
        if self.skipped_emails:
            sentences.append(
                f"Left off {_plural(self.skipped_emails, 'staff e-mail address')} "
                "already used by another staff member."
            )
        return " ".join(sentences)
