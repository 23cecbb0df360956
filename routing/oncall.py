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

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from hub.db import id_in
from hub.models import CareTeam, CareTeamMember, Contact, Patient, Staff
from routing.roster import OnCall
from routing.schedule_store import Roster, roster_at

CHAIN = ("care_manager", "care_team", "primary", "physician", "role:manager")
# Targets whose people depend on the patient; the others name the same people for everyone.
PATIENT_TARGETS = ("continuity", "care_manager", "care_team", "physician")


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
    found = session.scalars(select(Staff).where(id_in(session, Staff.id, ids),
                                                Staff.active.is_(True)))
    return {person.id: person for person in found}


def _spans(session: Session, spans: list[OnCall], why: str) -> list[Pick]:
    people = _people(session, [s.staff_id for s in spans])
    return [Pick(people[s.staff_id], why, s) for s in spans if s.staff_id in people]


# Built once: its cache key is computed once, not again for every decision.
_TEAM = select(Staff).join(CareTeamMember, CareTeamMember.staff_id == Staff.id) \
    .join(CareTeam, CareTeam.id == CareTeamMember.team_id) \
    .where(CareTeam.patient_id == bindparam("patient")).order_by(CareTeamMember.id)


class _Circle:
    """A patient's designated care manager and care team (staff, active or not), read once
    per decision: one query for the team, the care manager from it when on the team."""

    def __init__(self, session: Session, patient: Patient | None) -> None:
        self.patient = patient
        self.first = _first(patient)
        self.team: list[Staff] = []
        self.manager: Staff | None = None
        if patient is None:
            return
        self.team = list(dict.fromkeys(session.scalars(_TEAM, {"patient": patient.id})))
        if patient.care_manager_id is not None:
            self.manager = next((p for p in self.team if p.id == patient.care_manager_id),
                                None) or session.get(Staff, patient.care_manager_id)


def _first(patient: Patient | None) -> str:
    name = patient.name.split()[0] if patient is not None and patient.name.strip() else ""
    return name or "the patient"


def _care_manager(circle: _Circle, roster: Roster) -> list[Pick]:
    manager = circle.manager
    span = roster.span_of(manager.id) if manager is not None and manager.active else None
    if manager is None or span is None:
        return []
    return [Pick(manager, f"{circle.first}'s designated care manager, on shift", span)]


def _care_team(circle: _Circle, roster: Roster) -> list[Pick]:
    return [Pick(person, f"on {circle.first}'s care team, {span.layer} on call", span)
            for person in circle.team
            if person.active and (span := roster.span_of(person.id)) is not None]


def _physician(session: Session, circle: _Circle) -> list[Pick]:
    own = [p for p in circle.team if p.role == "physician" and p.active]
    if own:
        return [Pick(p, f"{circle.first}'s physician (care team)") for p in own]
    return [Pick(p, "every active physician (role:physician)")
            for p in _role(session, "physician")]


def _role(session: Session, role: str) -> list[Staff]:
    return list(session.scalars(select(Staff).where(Staff.role == role, Staff.active.is_(True))
                                .order_by(Staff.id)))


def _passed_over(link: str, picks: list[Pick], circle: _Circle) -> str:
    """Why a link of the chain paged nobody (for the manager's view)."""
    if picks:
        names = ", ".join(p.staff.name for p in picks)
        return f"{names} ({link}) has no phone" if len(picks) == 1 else \
            f"{names} ({link}) have no phone"
    if link == "care_manager":
        manager = circle.manager
        if manager is None:
            return f"{circle.first} has no designated care manager"
        if not manager.active:
            return f"the care manager {manager.name} is inactive"
        return f"the care manager {manager.name} is not on shift"
    if link == "care_team":
        return f"nobody of {circle.first}'s care team is on call" if circle.team else ""
    return {"primary": "nobody holds primary", "physician": "no active physician"}.get(
        link, f"nobody for {link}")


def _continuity(session: Session, circle: _Circle, roster: Roster) -> list[Pick]:
    passed: list[str] = []
    fallback: list[Pick] = []
    for link in CHAIN:
        picks = _picks(session, link, circle, roster)
        if any((p.staff.phone or "").strip() for p in picks):
            return [Pick(p.staff, p.why, p.span, tuple(passed)) for p in picks]
        if picks and not fallback:  # nobody reachable anywhere: the first named, as skipped
            fallback = [Pick(p.staff, p.why, p.span, tuple(passed)) for p in picks]
        if note := _passed_over(link, picks, circle):
            passed.append(note)
    return fallback


def _picks(session: Session, target: str, circle: _Circle, roster: Roster) -> list[Pick]:
    if target == "continuity":
        return _continuity(session, circle, roster)
    if target == "care_manager":
        return _care_manager(circle, roster)
    if target == "care_team":
        return _care_team(circle, roster)
    if target == "physician":
        return _physician(session, circle)
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


def picks_for(session: Session, target: str, contact: Contact, roster: Roster) -> list[Pick]:
    """The people ``target`` names for this contact at ``roster.at``, each with why."""
    # The other targets name the same people whoever the patient: no need to read them.
    patient = contact.patient if target in PATIENT_TARGETS else None
    return _picks(session, target, _Circle(session, patient), roster)


def explain_target(session: Session, target: str, contact: Contact, at: datetime) -> list[Pick]:
    """:func:`picks_for` at ``at``, reading the schedule once (each span's true bounds)."""
    return picks_for(session, target, contact, roster_at(session, at))


def resolve_target(session: Session, target: str, contact: Contact, at: datetime) -> list[Staff]:
    """The staff a policy target names for this contact at this instant (maybe nobody)."""
    roster = roster_at(session, at, exact_bounds=False)  # who, not since when: one read
    return [pick.staff for pick in picks_for(session, target, contact, roster)]
