"""The export's care-plan part: CarePlan (period, goals, activities with who is responsible,
note), Goal and ClinicalImpression, each value where :mod:`hub.fhir.plan_writer` reads it.

Mixed into :class:`hub.fhir_export.care_plan.CarePlanExport` (which supplies ``_id``,
``_patient_ref`` and ``_staff_ref``). A plan's goals point at the exported Goal resources
(``Goal/<id>``); a goal the plan names but the hub does not have goes by its name alone.
"""

from __future__ import annotations

import html
import json
from typing import TYPE_CHECKING, Any

from hub.fhir_export import plan_values as values
from hub.fhir_export.elements import absent, drop_empty
from hub.models import CarePlan, CarePlanActivity, Goal, Patient, Prognosis, Staff

XHTML = "http://www.w3.org/1999/xhtml"


class PlanExport:
    """Builders of the comprehensive care plan's resources (see the module docstring)."""

    if TYPE_CHECKING:  # supplied by CarePlanExport
        def _id(self, row: Any, kind: str) -> str: ...

        def _patient_ref(self, patient: Patient) -> dict[str, str]: ...

        def _staff_ref(self, staff: Staff) -> dict[str, str]: ...

    def care_plan(self, plan: CarePlan) -> dict[str, Any]:
        content = json.loads(plan.content or "{}")
        narrative, note = content.get("narrative"), content.get("note")
        text = {"status": "additional",
                "div": f'<div xmlns="{XHTML}"><p>{html.escape(narrative)}</p></div>'} \
            if narrative else None
        categories = content.get("categories", [])
        social = values.is_social(categories)
        activities = [self._activity(row, listed, social) for row, listed in
                      values.listed_with(list(plan.activities), content.get("activities", []))]
        return drop_empty({
            "resourceType": "CarePlan", "id": self._id(plan, "care-plan"), "text": text,
            "status": plan.status or "unknown", "intent": plan.intent or "plan",
            "category": [{"text": c} for c in categories],
            "title": plan.title, "description": content.get("description"),
            "subject": self._patient_ref(plan.patient),
            "period": drop_empty({"start": plan.period_start, "end": plan.period_end}),
            "goal": [self._goal_ref(g) for g in content.get("goals", [])],
            "activity": activities, "note": [{"text": note}] if note else [],
        })

    @staticmethod
    def _goal_ref(goal: dict[str, Any]) -> dict[str, Any]:
        reference = f"Goal/{goal['goal_id']}" if goal.get("goal_id") else None
        return drop_empty({"reference": reference, "display": goal.get("display")}) or absent()

    def _activity(self, row: CarePlanActivity, listed: dict[str, Any] | None,
                  social: bool) -> dict[str, Any]:
        if row.status is not None:  # only a detail has a status
            performers = [self._staff_ref(row.performer)] if row.performer is not None else []
            performers += [{"display": name} for name in (row.performer_text or "").split("; ")
                           if name]
            detail = drop_empty({
                **values.activity_words(listed.get("text") if listed else None, row.text),
                "status": row.status, **values.scheduled(row.scheduled),
                "performer": performers})
            activity: dict[str, Any] = {"detail": detail}
        elif listed is not None:  # imported from a reference to the activity's resource
            activity = {"reference": drop_empty({"display": row.text}) or absent()}
        else:  # the EHR gave neither: the activity is kept, with nothing to say of it
            activity = absent()
        return values.sorted_as(activity, row.kind, social)

    def goal(self, goal: Goal) -> dict[str, Any]:
        return drop_empty({
            "resourceType": "Goal", "id": goal.fhir_id, "lifecycleStatus": goal.lifecycle_status,
            "achievementStatus": values.achievement(goal.achievement_status),
            "description": {"text": goal.description} if goal.description else absent(),
            "subject": self._patient_ref(goal.patient), **values.goal_start(goal.start),
            "target": [values.goal_target(t) for t in json.loads(goal.targets or "[]")],
            "note": [{"text": goal.note}] if goal.note else [],
        })

    def clinical_impression(self, prognosis: Prognosis) -> dict[str, Any]:
        return drop_empty({
            "resourceType": "ClinicalImpression", "id": prognosis.fhir_id,
            "status": prognosis.status, "subject": self._patient_ref(prognosis.patient),
            "effectiveDateTime": prognosis.date, "summary": prognosis.summary,
            "prognosisCodeableConcept": [{"text": prognosis.prognosis}]
            if prognosis.prognosis else [],
        })
