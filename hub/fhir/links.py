"""Resolve, before anything is written, every reference the import needs.

A CarePlan's, CareTeam's, Condition's, Goal's, ClinicalImpression's, RelatedPerson's,
MedicationRequest's, MedicationStatement's, AllergyIntolerance's or Consent's patient, a
care team member who is a Practitioner (or a PractitionerRole's practitioner), a
PractitionerRole's practitioner and a RelatedPerson a Consent provision names must each
point at something in the bundle or already imported; otherwise the whole bundle is
refused, naming the resource and the field.

A care plan activity's performers and a care plan's goals are resolved where they can be:
one of our staff becomes the person responsible; anyone else (an agency, an outside
doctor, a goal not exported) is kept by the name the reference displays.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hub.fhir import plan
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
    # A CarePlan's activities' performers, activity by activity, and its goals' keys.
    performers: dict[int, list[Performers]] = field(default_factory=dict)
    goals: dict[int, list[str | None]] = field(default_factory=dict)  # None: not a Goal we have
    # A Consent's provisions about caregivers: (the RelatedPerson, the provision).
    disclosures: dict[int, list[tuple[Target, plan.Provision]]] = field(default_factory=dict)
    # The Medication resource a request or statement names its drug through, when in the bundle.
    medication: dict[int, Any] = field(default_factory=dict)


@dataclass
class Performers:
    """Who carries out one activity: the first of our staff named, and everyone else by name."""

    staff: Target | None = None
    others: list[str] = field(default_factory=list)


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


def _staff_of(resolver: Resolver, links: Links, ref: Any) -> Target | None:
    """The practitioner a reference leads to (through a PractitionerRole), if one of ours."""
    if ref is None or not ref.reference:
        return None
    target = resolver.resolve(ref.reference)
    if target is None:
        return None
    kind = kind_of(target)
    if kind == "PractitionerRole":
        return links.practitioner.get(id(target))
    return target if kind == "Practitioner" else None


def _plan_links(resolver: Resolver, links: Links, entry: Entry) -> None:
    performers: list[Performers] = []
    for activity in entry.resource.activity or []:
        found = Performers()
        detail = activity.detail
        for ref in (detail.performer if detail is not None else None) or []:
            staff = _staff_of(resolver, links, ref)
            if staff is not None and found.staff is None:
                found.staff = staff
            elif staff is None and ref.display:
                found.others.append(str(ref.display))
        performers.append(found)
    links.performers[id(entry)] = performers
    goals: list[str | None] = []
    for ref in entry.resource.goal or []:
        target = resolver.resolve(ref.reference) if ref.reference else None
        if target is None or kind_of(target) != "Goal":
            goals.append(None)
        else:
            goals.append(target.key if isinstance(target, Entry) else str(target.fhir_id))
    links.goals[id(entry)] = goals


def _disclosure_links(resolver: Resolver, links: Links, entry: Entry) -> None:
    found: list[tuple[Target, plan.Provision]] = []
    for provision in plan.provisions(entry.resource):
        target = resolver.resolve(provision.actor)
        if target is None and declared_kind(provision.actor) == "RelatedPerson":
            raise FhirImportError(
                entry.label, "provision.actor",
                f"{_shown(provision.actor)} is neither in the bundle nor already imported",
            )
        if target is not None and kind_of(target) == "RelatedPerson":
            found.append((target, provision))
    links.disclosures[id(entry)] = found


def _medication_link(resolver: Resolver, links: Links, entry: Entry) -> None:
    ref = entry.resource.medicationReference
    target = resolver.resolve(ref.reference) if ref is not None and ref.reference else None
    if isinstance(target, Entry) and target.kind == "Medication":
        links.medication[id(entry)] = target.resource


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
            if entry.kind == "Consent":
                _disclosure_links(resolver, links, entry)
        elif entry.kind in ("CareTeam", "CarePlan", "Condition", "Goal", "ClinicalImpression",
                            "MedicationRequest", "MedicationStatement"):
            links.patient[id(entry)] = _required(
                resolver, entry, "subject", resource.subject, "Patient"
            )
            if entry.kind == "CareTeam":
                links.members[id(entry)] = _members(resolver, links, entry)
            elif entry.kind == "CarePlan":
                _plan_links(resolver, links, entry)
            elif entry.kind.startswith("Medication"):
                _medication_link(resolver, links, entry)
    return links
