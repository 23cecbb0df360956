"""A patient's comprehensive care plan, gathered from its rows (hub.care_plan_sheet words it).

What CMS lists and where each part comes from (FHIR, or ``hub care-plan`` where FHIR has no
standard home; the README has the table): problem list (Condition); expected outcome
(``set``); prognosis (ClinicalImpression, and ``set``); measurable goals (Goal); symptom
management (``hub plan-rule`` and ``set``); planned interventions and who is responsible
(CarePlan.activity, performers resolved to staff); medication management
(MedicationRequest/Statement, and ``set``); allergies (AllergyIntolerance); community and
social services and coordination with outside providers (CarePlan.activity sorted by
hub.fhir.plan, and ``set``); the periodic review date (``set``, else the end of the current
CarePlan.period); the designated care manager and the care team (CareTeam); caregivers and
what each may be told (RelatedPerson, Consent provisions, ``disclose``); preferred language
(Patient.communication); emergency instructions (``set``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, contains_eager, selectinload

from hub import opt_outs, patient_chart
from hub.models import (
    Caregiver,
    CaregiverDisclosure,
    CarePlan,
    CarePlanActivity,
    CarePlanField,
    CareTeam,
    CareTeamMember,
    Condition,
    Contact,
    Goal,
    Patient,
    PlanRule,
    Prognosis,
)

FIELDS = {
    "expected_outcome": "Expected outcome",
    "prognosis": "Prognosis",
    "symptom_management": "Symptom management",
    "medication_management": "Medication management",
    "community_services": "Community and social services",
    "outside_providers": "Coordination with outside providers",
    "review_date": "Periodic review date",
    "emergency_instructions": "Emergency instructions",
}
LANGUAGES = {
    "en": "English", "es": "Spanish", "zh": "Chinese", "vi": "Vietnamese", "ko": "Korean",
    "tl": "Tagalog", "ru": "Russian", "ar": "Arabic", "ht": "Haitian Creole", "fr": "French",
    "pl": "Polish", "pt": "Portuguese", "it": "Italian", "de": "German", "hi": "Hindi",
    "ja": "Japanese", "fa": "Persian", "ur": "Urdu", "bn": "Bengali", "so": "Somali",
}
# Plans that are history: their activities are not listed as planned.
_PAST = {"completed", "revoked", "entered-in-error"}
PAST_STATUSES = frozenset(_PAST)  # a plan in one of these no longer holds
RECENT_CONTACTS = 10


@dataclass(frozen=True)
class GoalView:
    goal: Goal
    targets: list[dict[str, str | None]]


@dataclass(frozen=True)
class CaregiverView:
    caregiver: Caregiver
    may_be_told: list[str]
    may_not_be_told: list[str]


@dataclass
class CarePlanView:
    """Everything the page shows of one patient; activities sorted into the CMS lists."""

    patient: Patient
    fields: dict[str, str]
    problems: list[Condition]
    goals: list[GoalView]
    plans: list[CarePlan]
    activities: dict[str, list[CarePlanActivity]]
    rules: list[PlanRule]
    chart: patient_chart.Chart
    caregivers: list[CaregiverView]
    contacts: list[Contact]
    prognoses: list[Prognosis] = field(default_factory=list)  # newest assessment first
    care_team: list[CareTeamMember] = field(default_factory=list)  # with .team and .staff
    other_goals: list[str] = field(default_factory=list)  # named by a plan, not imported
    opted_out: list[opt_outs.OptedOut] = field(default_factory=list)  # numbers that sent STOP

    @property
    def language(self) -> str:
        code = self.patient.language or "en"
        return LANGUAGES.get(code, code)

    @property
    def review(self) -> tuple[str | None, str]:
        """The periodic review date and where it comes from."""
        if "review_date" in self.fields:
            return self.fields["review_date"], "set by the practice"
        ends = sorted(p.period_end for p in self.plans if p.period_end and p.status not in _PAST)
        if ends:
            return ends[0], "end of the care plan's period"
        return None, "not set"


def _caregivers(session: Session, patient_id: int) -> list[CaregiverView]:
    caregivers = list(session.scalars(select(Caregiver).where(
        Caregiver.patient_id == patient_id).order_by(Caregiver.id)))
    told: dict[int, tuple[list[str], list[str]]] = {c.id: ([], []) for c in caregivers}
    if caregivers:
        for disclosure in session.scalars(select(CaregiverDisclosure).where(
                CaregiverDisclosure.caregiver_id.in_(told)).order_by(CaregiverDisclosure.id)):
            told[disclosure.caregiver_id][0 if disclosure.permit else 1].append(disclosure.what)
    return [CaregiverView(c, *told[c.id]) for c in caregivers]


def _care_team(session: Session, patient_id: int) -> list[CareTeamMember]:
    """The members of the patient's care teams, team by team, the care manager first."""
    return list(session.scalars(
        select(CareTeamMember).join(CareTeamMember.team).where(CareTeam.patient_id == patient_id)
        .options(contains_eager(CareTeamMember.team), selectinload(CareTeamMember.staff))
        .order_by(CareTeam.id, CareTeamMember.is_care_manager.desc(), CareTeamMember.id)))


def _plans(session: Session, patient_id: int) -> list[CarePlan]:
    plans = list(session.scalars(
        select(CarePlan).where(CarePlan.patient_id == patient_id)
        .options(selectinload(CarePlan.activities).selectinload(CarePlanActivity.performer))
        .order_by(CarePlan.id)))
    plans.sort(key=lambda p: p.status in _PAST)  # current plans first
    return plans


def load(session: Session, patient: Patient) -> CarePlanView:
    """The patient's whole care plan, in about a dozen indexed queries."""
    pid = patient.id
    fields = {f.field: f.text for f in session.scalars(
        select(CarePlanField).where(CarePlanField.patient_id == pid))}
    goals = [GoalView(g, json.loads(g.targets or "[]")) for g in session.scalars(
        select(Goal).where(Goal.patient_id == pid).order_by(Goal.id))]
    plans = _plans(session, pid)
    activities: dict[str, list[CarePlanActivity]] = {
        "intervention": [], "community": [], "referral": []}
    imported = {g.goal.fhir_id for g in goals}
    other_goals: list[str] = []
    for care_plan in plans:
        if care_plan.status not in _PAST:
            for activity in care_plan.activities:
                activities.setdefault(activity.kind, []).append(activity)
        content = json.loads(care_plan.content or "{}")
        other_goals += [g["display"] for g in content.get("goals", [])
                        if g.get("display") and g.get("goal_id") not in imported]
    problems = sorted(session.scalars(select(Condition).where(Condition.patient_id == pid)),
                      key=lambda c: (c.clinical_status not in ("active", None), c.text or ""))
    rules = list(session.scalars(select(PlanRule).where(PlanRule.patient_id == pid)
                                 .order_by(PlanRule.code)))
    contacts = list(session.scalars(
        select(Contact).where(Contact.patient_id == pid)
        .order_by(Contact.received_at.desc()).limit(RECENT_CONTACTS)))
    prognoses = sorted((p for p in session.scalars(select(Prognosis).where(
        Prognosis.patient_id == pid)) if p.status != "entered-in-error" and (
            p.prognosis or p.summary)), key=lambda p: p.date or "", reverse=True)
    return CarePlanView(
        patient=patient, fields=fields, problems=problems, goals=goals, plans=plans,
        activities=activities, rules=rules, chart=patient_chart.load(session, pid),
        caregivers=_caregivers(session, pid), contacts=contacts, prognoses=prognoses,
        care_team=_care_team(session, pid), other_goals=list(dict.fromkeys(other_goals)),
        opted_out=opt_outs.for_patient(session, pid))


def plan_title(care_plan: CarePlan) -> str:
    """A plan's title, else its categories, else "Care plan"."""
    if care_plan.title:
        return care_plan.title
    categories: list[Any] = json.loads(care_plan.content or "{}").get("categories", [])
    return ", ".join(categories) or "Care plan"
