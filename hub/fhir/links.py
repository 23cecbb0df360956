"""Resolve, before anything is written, every reference the import needs.

A CarePlan's, CareTeam's, Condition's, RelatedPerson's, MedicationRequest's,
MedicationStatement's, AllergyIntolerance's or Consent's patient, a care team member who
is a Practitioner (or a PractitionerRole's practitioner) and a PractitionerRole's
practitioner must each point at something in the bundle or already imported; otherwise
the whole bundle is refused, naming the resource and the field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hub.fhir.bundle import Entry
from hub.fhir.refs import Resolver, Target, declared_kind, kind_of
from hub.fhir.summary import FhirImportError

# Who may sit on a care team without becoming one of our staff members.
_NOT_STAFF = {"Patient", "RelatedPerson", "Organization", "CareTeam", "Group", "Device"}


@dataclass
class Member:
    """A care team participant who is one of our staff: the practitioner and their roles."""

    practitioner: Target
    roles: list[Any]


@dataclass
class Links:
    """What each entry's needed references resolved to (keyed by entry identity)."""

    patient: dict[int, Target] = field(default_factory=dict)
    practitioner: dict[int, Target] = field(default_factory=dict)
    members: dict[int, list[Member]] = field(default_factory=dict)


def _shown(reference: str) -> str:
    return reference if len(reference) <= 120 else reference[:120] + "..."


def _required(resolver: Resolver, entry: Entry, field_name: str, ref: Any, want: str) -> Target:
    """The target of a reference that must resolve to a ``want``, or the refusal."""
    if ref is None or not ref.reference:
        raise FhirImportError(entry.label, field_name, f"no reference to a {want}")
    target = resolver.resolve(ref.reference)
    if target is None:
        raise FhirImportError(
            entry.label, field_name,
            f"{_shown(ref.reference)} is neither in the bundle nor already imported",
        )
    if kind_of(target) != want:
        raise FhirImportError(
            entry.label, field_name, f"must be a {want}, not a {kind_of(target)}"
        )
    return target


def _members(resolver: Resolver, links: Links, entry: Entry) -> list[Member]:
    members: list[Member] = []
    for i, participant in enumerate(entry.resource.participant or []):
        ref = participant.member
        if ref is None or not ref.reference:
            continue
        field_name = f"participant[{i}].member"
        target = resolver.resolve(ref.reference)
        kind = kind_of(target) if target is not None else (
            declared_kind(ref.reference) or ref.type
        )
        if kind in _NOT_STAFF:
            continue
        if target is None:
            raise FhirImportError(
                entry.label, field_name,
                f"{_shown(ref.reference)} is neither in the bundle nor already imported",
            )
        if kind == "PractitionerRole":
            assert isinstance(target, Entry)
            practitioner = links.practitioner.get(id(target))
            if practitioner is None:
                continue  # a role that names no person puts nobody on the team
            target = practitioner
        elif kind != "Practitioner":
            continue
        members.append(Member(target, list(participant.role or [])))
    return members


def resolve_all(resolver: Resolver, entries: list[Entry]) -> Links:
    """Resolve every needed reference of ``entries`` (roles first: members may go through them)."""
    links = Links()
    for entry in entries:
        if entry.kind == "PractitionerRole" and entry.resource.practitioner is not None:
            links.practitioner[id(entry)] = _required(
                resolver, entry, "practitioner", entry.resource.practitioner, "Practitioner"
            )
    for entry in entries:
        resource = entry.resource
        if entry.kind == "RelatedPerson":
            links.patient[id(entry)] = _required(
                resolver, entry, "patient", resource.patient, "Patient"
            )
        elif entry.kind in ("AllergyIntolerance", "Consent"):
            links.patient[id(entry)] = _required(
                resolver, entry, "patient", resource.patient, "Patient"
            )
        elif entry.kind in ("CareTeam", "CarePlan", "Condition", "MedicationRequest",
                            "MedicationStatement"):
            links.patient[id(entry)] = _required(
                resolver, entry, "subject", resource.subject, "Patient"
            )
            if entry.kind == "CareTeam":
                links.members[id(entry)] = _members(resolver, links, entry)
    return links
