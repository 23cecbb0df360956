"""Whom a policy target names for one contact at one instant, and why.

Targets (``config/escalation.toml``):

- ``continuity``: the continuity chain, the first of its links with someone reachable: the
  patient's designated care manager when on call; the on-call members of the patient's care
  team; the primary on call; the patient's physician; the managers.
- ``care_manager``, ``care_team``, ``physician``: one link of that chain on its own.
- ``primary``, ``backup``, ``schedule:NAME``: who holds that layer, or that rotation, now.
- ``role:NAME``: every active staff member with the role; ``person:EMAIL``: that person.

Who is on call comes from :func:`routing.schedule_store.roster_at` (rotations, calendar
shifts, overrides and swaps); nothing here decides it again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.models import CareTeam, CareTeamMember, Contact, Patient, Staff
from routing.roster import OnCall
from routing.schedule_store import Roster, roster_at

CHAIN = ("care_manager", "care_team", "primary", "physician", "role:manager")


@dataclass(frozen=True)
class Pick:
    """One person a target names: ``why`` as the manager reads it, ``span`` the on-call span
    that made it so (its end is shown as "until"), ``passed`` why earlier links were not."""

    staff: Staff
    why: str
    span: OnCall | None = None
    passed: tuple[str, ...] = ()


def _people(session: Session, ids: list[int]) -> dict[int, Staff]:
    if not ids:
        return {}
    found = session.scalars(select(Staff).where(Staff.id.in_(ids), Staff.active.is_(True)))
    return {person.id: person for person in found}


def _spans(session: Session, spans: list[OnCall], why: str) -> list[Pick]:
    people = _people(session, [s.staff_id for s in spans])
    return [Pick(people[s.staff_id], why, s) for s in spans if s.staff_id in people]


def _first(patient: Patient | None) -> str:
    name = patient.name.split()[0] if patient is not None and patient.name.strip() else ""
    return name or "the patient"


def _care_team_ids(session: Session, patient: Patient | None, role: str | None = None
                   ) -> list[int]:
    if patient is None:
        return []
    query = (select(CareTeamMember.staff_id).join(CareTeam)
             .where(CareTeam.patient_id == patient.id).order_by(CareTeamMember.id))
    if role is not None:
        query = query.join(Staff, Staff.id == CareTeamMember.staff_id).where(Staff.role == role)
    return list(dict.fromkeys(session.scalars(query)))


def _care_manager(session: Session, patient: Patient | None, roster: Roster) -> list[Pick]:
    manager = patient.care_manager if patient is not None else None
    span = roster.span_of(manager.id) if manager is not None and manager.active else None
    if manager is None or span is None:
        return []
    return [Pick(manager, f"{_first(patient)}'s designated care manager, on shift", span)]


def _care_team(session: Session, patient: Patient | None, roster: Roster) -> list[Pick]:
    spans = [span for staff_id in _care_team_ids(session, patient)
             if (span := roster.span_of(staff_id)) is not None]
    return [Pick(p.staff, f"on {_first(patient)}'s care team, {p.span.layer} on call", p.span)
            for p in _spans(session, spans, "") if p.span is not None]


def _physician(session: Session, patient: Patient | None) -> list[Pick]:
    own = _people(session, _care_team_ids(session, patient, "physician"))
    if own:
        return [Pick(p, f"{_first(patient)}'s physician (care team)") for p in own.values()]
    return [Pick(p, "every active physician (role:physician)")
            for p in _role(session, "physician")]


def _role(session: Session, role: str) -> list[Staff]:
    return list(session.scalars(select(Staff).where(Staff.role == role, Staff.active.is_(True))
                                .order_by(Staff.id)))


def _passed_over(link: str, picks: list[Pick], patient: Patient | None,
                 session: Session) -> str:
    """Why a link of the chain paged nobody (for the manager's view)."""
    first = _first(patient)
    if picks:
        names = ", ".join(p.staff.name for p in picks)
        return f"{names} ({link}) has no phone" if len(picks) == 1 else \
            f"{names} ({link}) have no phone"
    if link == "care_manager":
        manager = patient.care_manager if patient is not None else None
        if manager is None:
            return f"{first} has no designated care manager"
        if not manager.active:
            return f"the care manager {manager.name} is inactive"
        return f"the care manager {manager.name} is not on shift"
    if link == "care_team":
        return f"nobody of {first}'s care team is on call" \
            if _care_team_ids(session, patient) else ""
    return {"primary": "nobody holds primary", "physician": "no active physician"}.get(
        link, f"nobody for {link}")


def _continuity(session: Session, contact: Contact, roster: Roster) -> list[Pick]:
    passed: list[str] = []
    fallback: list[Pick] = []
    for link in CHAIN:
        picks = picks_for(session, link, contact, roster)
        if any((p.staff.phone or "").strip() for p in picks):
            return [Pick(p.staff, p.why, p.span, tuple(passed)) for p in picks]
        if picks and not fallback:  # nobody reachable anywhere: the first named, as skipped
            fallback = [Pick(p.staff, p.why, p.span, tuple(passed)) for p in picks]
        if note := _passed_over(link, picks, contact.patient, session):
            passed.append(note)
    return fallback


def picks_for(session: Session, target: str, contact: Contact, roster: Roster) -> list[Pick]:
    """The people ``target`` names for this contact at ``roster.at``, each with why."""
    patient = contact.patient
    if target == "continuity":
        return _continuity(session, contact, roster)
    if target == "care_manager":
        return _care_manager(session, patient, roster)
    if target == "care_team":
        return _care_team(session, patient, roster)
    if target == "physician":
        return _physician(session, patient)
    if target in ("primary", "backup"):
        return _spans(session, roster.holders(target), f"{target} on call")
    if target.startswith("schedule:"):
        name = target[9:]
        if name in roster.rotations:
            return _spans(session, roster.of_rotation(name), f"on call for rotation {name}")
        return _spans(session, roster.holders(name), f"{name} on call")
    if target.startswith("role:"):
        return [Pick(p, f"every active {target[5:]} ({target})")
                for p in _role(session, target[5:])]
    if target.startswith("person:"):
        person = session.scalar(select(Staff).where(Staff.email == target[7:],
                                                    Staff.active.is_(True)))
        return [Pick(person, f"named in the policy ({target})")] if person else []
    raise ValueError(f"unknown target {target!r}")


def explain_target(session: Session, target: str, contact: Contact, at: datetime) -> list[Pick]:
    """:func:`picks_for` at ``at``, reading the schedule once."""
    return picks_for(session, target, contact, roster_at(session, at))


def resolve_target(session: Session, target: str, contact: Contact, at: datetime) -> list[Staff]:
    """The staff a policy target names for this contact at this instant (maybe nobody)."""
    return [pick.staff for pick in explain_target(session, target, contact, at)]
