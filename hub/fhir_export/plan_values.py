"""The inverses of :mod:`hub.fhir.plan`: the FHIR elements from which the importer reads back
the texts the hub kept of a plan's activities, a goal's targets and when things happen.

The hub keeps texts ("<= 180 lb", "from 2026-12-04", "Daily weight monitoring: Weigh every
morning"). Where a text is one the importer writes from a structure (a quantity, a
duration, a period, a code with its description), the structure is given back, so the EHR
gets data rather than prose; each such guess is read back with the importer's own function
and used only if it gives the same text, else the element's free-text form is used
(``detailString``, ``scheduledString``). The round trip is exact by construction.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from types import SimpleNamespace
from typing import Any

from fhir.resources.R4B.careplan import CarePlanActivity as FhirActivity
from fhir.resources.R4B.careplan import CarePlanActivityDetail
from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.goal import GoalTarget
from pydantic import ValidationError

from hub.fhir import plan
from hub.fhir_export.elements import absent, drop_empty

GOAL_ACHIEVEMENT = "http://terminology.hl7.org/CodeSystem/goal-achievement"
_ACHIEVEMENT_CODES = {"in-progress", "improving", "worsening", "no-change", "achieved",
                      "sustaining", "not-achieved", "no-progress", "not-attainable"}
UCUM = "http://unitsofmeasure.org"
# Durations people write, as the UCUM codes R4 wants beside them (Duration: drt-1).
_TIME_UNITS = {"s": "s", "second": "s", "seconds": "s", "min": "min", "minute": "min",
               "minutes": "min", "h": "h", "hour": "h", "hours": "h", "d": "d", "day": "d",
               "days": "d", "wk": "wk", "week": "wk", "weeks": "wk", "mo": "mo",
               "month": "mo", "months": "mo", "a": "a", "year": "a", "years": "a"}
_QUANTITY = re.compile(r"^(?:(<=|>=|<|>) )?(-?\d+(?:\.\d+)?) (\S+)$")
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
DO_NOT = "Do not: "  # how hub.fhir.plan.activity_text marks a doNotPerform activity
COMMUNITY_REASON = "Community and social services"


def _reads_back(build: Callable[[dict[str, Any]], Any], element: dict[str, Any],
                read: Callable[[Any], Any], expected: Any) -> bool:
    """Whether the importer reads ``expected`` back from ``element``."""
    try:
        return bool(read(build(element)) == expected)
    except (ValidationError, TypeError, ValueError):
        return False


def _quantity(text: str, duration: bool = False) -> dict[str, Any] | None:
    """The Quantity "<= 180 lb" was written from (a Duration "3 months"), or None."""
    match = _QUANTITY.match(text)
    if match is None:
        return None
    comparator, number, unit = match.groups()
    value: float | int = float(number) if "." in number else int(number)
    element = drop_empty({"value": value, "comparator": comparator, "unit": unit})
    if duration and unit in _TIME_UNITS:
        element.update(system=UCUM, code=_TIME_UNITS[unit])
    return element


def achievement(code: str | None) -> dict[str, Any] | None:
    """Goal.achievementStatus of the stored code (its system when it is one of R4's)."""
    if not code:
        return None
    system = GOAL_ACHIEVEMENT if code in _ACHIEVEMENT_CODES else None
    return {"coding": [drop_empty({"system": system, "code": code})]}


def goal_start(start: str | None) -> dict[str, Any]:
    """Goal.startDate, or startCodeableConcept for a start that is not a date."""
    if not start:
        return {}
    return {"startDate": start} if _DATE.match(start) else {"startCodeableConcept": {"text": start}}


def _one_target(target: Any) -> list[dict[str, str | None]]:
    return plan.goal_targets(SimpleNamespace(target=[target]))


def goal_target(kept: dict[str, str | None]) -> dict[str, Any]:
    """The Goal.target the importer reads ``{"measure", "detail", "due"}`` back from."""
    measure, detail, due = kept.get("measure"), kept.get("detail"), kept.get("due")
    plain: dict[str, Any] = drop_empty({"measure": {"text": measure} if measure else None,
                                        "detailString": detail})
    if due and _DATE.match(due):
        plain["dueDate"] = due
    elif due and due.startswith("within "):
        plain["dueDuration"] = _quantity(due.removeprefix("within "), duration=True)
    structured = dict(plain)
    quantity = _quantity(detail) if detail else None
    if quantity is not None:
        del structured["detailString"]
        structured["detailQuantity"] = quantity
    expected = [{"measure": measure, "detail": detail, "due": due}]
    for element in (structured, plain):
        if _reads_back(GoalTarget.model_validate, element, _one_target, expected):
            return element or absent()
    return drop_empty({"measure": plain.get("measure"), "detailString": detail}) or absent()


_PERIOD = re.compile(r"^(?:from (?P<since>\S+)|(?P<start>\S+) to (?P<end>\S+))$")


def scheduled(text: str | None) -> dict[str, Any]:
    """scheduledPeriod for "from 2026-12-04" or "... to 2027-01-01", else scheduledString."""
    if not text:
        return {}
    match = _PERIOD.match(text)
    if match is not None:
        start = match["since"] or (None if match["start"] == "..." else match["start"])
        element = {"scheduledPeriod": drop_empty({"start": start, "end": match["end"]})}
        if _reads_back(lambda e: CarePlanActivityDetail.model_validate({"status": "unknown", **e}),
                       element, plan.scheduled_text, text):
            return element
    return {"scheduledString": text}


def _split(listed: str | None, shown: str | None) -> dict[str, Any] | None:
    """code/description giving back ``listed`` (code, else description) and ``shown``."""
    if listed is None or shown is None:
        return {} if listed is None and shown is None else None
    if shown == listed:
        return {"code": {"text": listed}}
    if shown == listed.strip():
        return {"description": listed}
    described = shown.removeprefix(f"{listed}: ")
    if described != shown and described and described == described.strip() \
            and described.lower() != listed.strip().lower():
        return {"code": {"text": listed}, "description": described}
    return None


def activity_words(listed: str | None, shown: str | None) -> dict[str, Any]:
    """The detail's code, description and doNotPerform from the two texts an import kept of
    an activity: ``listed`` (the plan's list: code, else description) and ``shown`` (the
    activity row: "code: description", "Do not: " first when not to be done)."""
    found = _split(listed, shown)
    if found is not None:
        return found
    if shown and shown.startswith(DO_NOT):
        found = _split(listed, shown.removeprefix(DO_NOT))
        if found is not None:
            return {**found, "doNotPerform": True}
    # Texts no import wrote together (a plan made in the hub): the activity's own text wins.
    if shown:
        return {"description": shown}
    return {"code": {"text": listed}} if listed else {}


def is_social(categories: Iterable[str]) -> bool:
    """Whether the importer takes a plan of these category texts for social care."""
    return plan.plan_is_social(SimpleNamespace(
        category=[CodeableConcept.model_validate({"text": c}) for c in categories]))


def sorted_as(activity: dict[str, Any], kind: str, social: bool) -> dict[str, Any]:
    """``activity`` with what makes the importer sort it as ``kind`` where its words do not:
    a referral is a ServiceRequest; a community service says so in its reason."""
    if plan.activity_kind(FhirActivity.model_validate(activity), social) == kind:
        return activity
    if "detail" in activity:
        detail = dict(activity["detail"])
        if kind == "referral":
            detail["kind"] = "ServiceRequest"
        elif kind == "community":
            detail["reasonCode"] = [{"text": COMMUNITY_REASON}]
        return {**activity, "detail": detail}
    if kind == "referral" and "reference" in activity:
        return {"reference": {**activity["reference"], "type": "ServiceRequest"}}
    return activity


def listed_with(rows: list[Any], listed: list[dict[str, Any]]) -> list[tuple[Any, Any]]:
    """Each activity row with the plan-list entry the import made of it (None: the activity
    had neither a detail nor a reference, so the list has no entry for it)."""
    paired: list[tuple[Any, Any]] = []
    rest = iter(listed)
    waiting = next(rest, None)
    for row in rows:
        if waiting is not None and (row.status is not None or (
                waiting.get("status") is None and waiting.get("text") == row.text)):
            paired.append((row, waiting))
            waiting = next(rest, None)
        else:
            paired.append((row, None))
    return paired
