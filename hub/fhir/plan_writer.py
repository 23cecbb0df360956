"""The writer's care-plan part: goals, a plan's activities and period, caregiver disclosures.

Mixed into :class:`hub.fhir.writer.Writer` (which supplies ``_row``, ``_target`` and
``session``); like it, it runs after validation and resolution and never stops half-way.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from hub.fhir import mapping, plan
from hub.fhir.bundle import Entry
from hub.fhir.links import Links, Performers
from hub.models import (
    CaregiverDisclosure,
    CarePlan,
    CarePlanActivity,
    Consent,
    Goal,
    Prognosis,
)


class PlanWriting:
    """Writes of the comprehensive care plan (see the module docstring)."""

    if TYPE_CHECKING:  # supplied by Writer
        def _row(self, entry: Entry, row: Any, table: type[Any]) -> Any: ...

        def _target(self, target: Any) -> Any: ...

    def _goal(self, entry: Entry, row: Goal | None, links: Links) -> None:
        resource = entry.resource
        goal = self._row(entry, row, Goal)
        goal.patient = self._target(links.patient[id(entry)])
        goal.lifecycle_status = resource.lifecycleStatus
        goal.achievement_status = plan.achievement(resource)
        goal.description = mapping.concept_text(resource.description)
        goal.start = plan.goal_start(resource)
        targets = plan.goal_targets(resource)
        goal.targets = json.dumps(targets, ensure_ascii=False) if targets else None
        goal.note = plan.notes(resource.note)

    def _clinicalimpression(self, entry: Entry, row: Prognosis | None, links: Links) -> None:
        resource = entry.resource
        prognosis = self._row(entry, row, Prognosis)
        prognosis.patient = self._target(links.patient[id(entry)])
        prognosis.status = resource.status
        prognosis.date = plan.impression_date(resource)
        prognosis.prognosis = plan.prognosis_text(resource)
        prognosis.summary = resource.summary

    def _careplan(self, entry: Entry, row: CarePlan | None, links: Links) -> None:
        resource = entry.resource
        care_plan = self._row(entry, row, CarePlan)
        care_plan.patient = self._target(links.patient[id(entry)])
        care_plan.status, care_plan.intent = resource.status, resource.intent
        care_plan.title = resource.title
        content = json.loads(mapping.care_plan_content(resource))
        for goal, key in zip(content["goals"], links.goals[id(entry)], strict=True):
            goal["goal_id"] = key
        content["note"] = plan.notes(resource.note)
        care_plan.content = json.dumps(content, ensure_ascii=False)
        period = resource.period
        care_plan.period_start = mapping.fhir_date(period.start) if period else None
        care_plan.period_end = mapping.fhir_date(period.end) if period else None
        self._activities(care_plan, resource, links.performers[id(entry)])

    def _activities(self, care_plan: CarePlan, resource: Any,
                    performers: list[Performers]) -> None:
        social = plan.plan_is_social(resource)
        current = list(care_plan.activities)
        wanted: list[CarePlanActivity] = []
        for position, (activity, who) in enumerate(zip(resource.activity or [], performers,
                                                       strict=True)):
            record = current[position] if position < len(current) else CarePlanActivity()
            detail = activity.detail
            record.position = position
            record.kind = plan.activity_kind(activity, social)
            record.text = plan.activity_text(activity)
            record.status = detail.status if detail is not None else None
            record.scheduled = plan.scheduled_text(detail) if detail is not None else None
            record.performer = self._target(who.staff) if who.staff is not None else None
            record.performer_text = "; ".join(who.others) or None
            wanted.append(record)
        care_plan.activities = wanted  # activities the EHR dropped go (delete-orphan)

    def _disclosures(self, entry: Entry, consent: Consent, links: Links) -> None:
        """The consent's rules about caregivers, replaced whole; only an active one counts."""
        found = links.disclosures[id(entry)] if consent.status == "active" else []
        current = list(consent.disclosures)
        wanted: list[CaregiverDisclosure] = []
        for position, (target, provision) in enumerate(found):
            record = current[position] if position < len(current) else CaregiverDisclosure()
            record.caregiver = self._target(target)
            record.permit, record.what = provision.permit, provision.what
            wanted.append(record)
        consent.disclosures = wanted
