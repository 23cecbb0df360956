"""Pure functions from R4B Goals, CarePlan activities and Consent provisions to the care plan.

Activities are sorted into the care plan's CMS lists by what the EHR wrote:

- "referral" (coordination with outside providers): the FHIR form of a referral, a
  ServiceRequest (``detail.kind``, or an ``activity.reference`` to one or of that
  ``type``), or the words "refer", "referral" or "consult" in the activity's code or
  description;
- "community" (community and social services): words such as "community", "social",
  "meals", "transportation", "home health", "support group", "housing" or "food" in the
  activity, or a plan whose category is social (SDOH, "social care");
- otherwise "intervention", the care team's own planned work.

What a caregiver may be told is read from Consent provisions: every provision (nested ones
included, inheriting their parent's actors and type when they give none) whose actor is a
RelatedPerson says the caregiver may (``permit``) or may not (``deny``) be told what its
``code``, ``class``, ``action``, ``purpose`` and ``data`` name, or everything when it
names nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from hub.fhir.mapping import concept_text, fhir_date, first_code

_REFERRAL = re.compile(r"\b(refer|referral|referred|consult|consultation)\b")
_COMMUNITY = re.compile(
    r"\b(community|social|meals?|transport|transportation|home health|homemaker|"
    r"support group|housing|food|pantry|senior center|adult day|respite|sdoh)\b")
_UNITS = {"s": "second", "min": "minute", "h": "hour", "d": "day", "wk": "week",
          "mo": "month", "a": "year"}
EVERYTHING = "all of the care plan and the patient's health information"


def _plural(n: Any, unit: str) -> str:
    return f"{n:g} {unit}" if float(n) == 1 else f"{n:g} {unit}s"


def quantity_text(quantity: Any | None) -> str | None:
    """"<= 195 lb" of a Quantity (or a Duration)."""
    if quantity is None or quantity.value is None:
        return None
    unit = quantity.unit or quantity.code or ""
    text = f"{quantity.comparator or ''} {float(quantity.value):g} {unit}"
    return " ".join(text.split())


def target_detail(target: Any) -> str | None:
    """What a goal target aims at: a quantity, range, concept, text, yes/no, count or ratio."""
    if target.detailQuantity is not None:
        return quantity_text(target.detailQuantity)
    if target.detailRange is not None:
        low, high = (quantity_text(target.detailRange.low), quantity_text(target.detailRange.high))
        if low and high:
            return f"{low} to {high}"
        return f">= {low}" if low else (f"<= {high}" if high else None)
    if target.detailCodeableConcept is not None:
        return concept_text(target.detailCodeableConcept)
    if target.detailString:
        return str(target.detailString)
    if target.detailBoolean is not None:
        return "yes" if target.detailBoolean else "no"
    if target.detailInteger is not None:
        return str(target.detailInteger)
    ratio = target.detailRatio
    if ratio is not None and ratio.numerator is not None and ratio.denominator is not None:
        return f"{quantity_text(ratio.numerator)} per {quantity_text(ratio.denominator)}"
    return None


def goal_targets(goal: Any) -> list[dict[str, str | None]]:
    """Each target as {"measure", "detail", "due"} texts."""
    targets = []
    for target in goal.target or []:
        due = fhir_date(target.dueDate)
        if due is None and target.dueDuration is not None:
            duration = quantity_text(target.dueDuration)
            due = f"within {duration}" if duration else None
        targets.append({"measure": concept_text(target.measure),
                        "detail": target_detail(target), "due": due})
    return targets


def goal_start(goal: Any) -> str | None:
    return fhir_date(goal.startDate) or concept_text(goal.startCodeableConcept)


def notes(annotations: list[Any] | None) -> str | None:
    """The texts of a list of Annotations, one after another."""
    texts = [str(a.text).strip() for a in annotations or [] if a.text and str(a.text).strip()]
    return "; ".join(texts) or None


def achievement(goal: Any) -> str | None:
    code = first_code(goal.achievementStatus)
    return code if code and len(code) <= 32 else None


def prognosis_text(impression: Any) -> str | None:
    """The prognoses of a ClinicalImpression: its concepts' texts, then referenced displays."""
    texts = [concept_text(c) for c in impression.prognosisCodeableConcept or []]
    texts += [r.display for r in impression.prognosisReference or []]
    return "; ".join(str(t) for t in texts if t) or None


def impression_date(impression: Any) -> str | None:
    period = impression.effectivePeriod
    return (fhir_date(impression.effectiveDateTime) or (fhir_date(period.start) if period
                                                        else None) or fhir_date(impression.date))


def timing_text(timing: Any) -> str | None:
    """"2 times every 1 day, from 2026-01-01" of a Timing, or its code's text."""
    text = concept_text(timing.code)
    if text:
        return text
    repeat = timing.repeat
    parts: list[str] = []
    if repeat is not None and repeat.period is not None and repeat.periodUnit in _UNITS:
        times = {1: "once", 2: "twice"}.get(repeat.frequency or 1, f"{repeat.frequency} times")
        unit = _UNITS[repeat.periodUnit]
        every = f"a {unit}" if float(repeat.period) == 1 else "every " + _plural(
            float(repeat.period), unit)
        parts.append(f"{times} {every}")
        if repeat.dayOfWeek:
            parts.append("on " + ", ".join(str(d) for d in repeat.dayOfWeek))
        if repeat.timeOfDay:
            parts.append("at " + ", ".join(str(t)[:5] for t in repeat.timeOfDay))
        bounds = repeat.boundsPeriod
        if bounds is not None and bounds.start is not None:
            parts.append(f"from {fhir_date(bounds.start)}")
        if bounds is not None and bounds.end is not None:
            parts.append(f"until {fhir_date(bounds.end)}")
    events = [fhir_date(e) for e in timing.event or []]
    if events:
        parts.append("on " + ", ".join(e for e in events[:5] if e))
    return ", ".join(parts) or None


def scheduled_text(detail: Any) -> str | None:
    """When a planned activity happens: its text, period or timing."""
    if detail.scheduledString:
        return str(detail.scheduledString)
    period = detail.scheduledPeriod
    if period is not None and (period.start or period.end):
        start, end = fhir_date(period.start), fhir_date(period.end)
        return f"{start or '...'} to {end}" if end else f"from {start}"
    if detail.scheduledTiming is not None:
        return timing_text(detail.scheduledTiming)
    return None


def activity_text(activity: Any) -> str | None:
    """What the activity is: its code's text and its description (both when they differ)."""
    detail = activity.detail
    if detail is None:
        reference = activity.reference
        return str(reference.display) if reference is not None and reference.display else None
    code, description = concept_text(detail.code), detail.description
    text: str | None
    if code and description and description.strip().lower() != code.strip().lower():
        text = f"{code}: {description.strip()}"
    else:
        text = code or (description.strip() if description else None)
    if text and detail.doNotPerform:
        text = "Do not: " + text
    return text


def _words(activity: Any) -> str:
    detail = activity.detail
    words = [activity_text(activity) or ""]
    if detail is not None:
        words.extend(concept_text(c) or "" for c in detail.reasonCode or [])
    return " ".join(words).lower()


def plan_is_social(plan: Any) -> bool:
    """A care plan whose category is social care (its activities are community services)."""
    words = " ".join(concept_text(c) or "" for c in plan.category or []).lower()
    return bool(_COMMUNITY.search(words))


def activity_kind(activity: Any, social_plan: bool = False) -> str:
    """"referral", "community" or "intervention", by the rules in this module's docstring."""
    detail, reference = activity.detail, activity.reference
    if detail is not None and detail.kind == "ServiceRequest":
        return "referral"
    if reference is not None and (reference.type == "ServiceRequest" or (
            reference.reference and "ServiceRequest" in reference.reference)):
        return "referral"
    words = _words(activity)
    if _REFERRAL.search(words):
        return "referral"
    if social_plan or _COMMUNITY.search(words):
        return "community"
    return "intervention"


@dataclass(frozen=True)
class Provision:
    """One rule of a Consent about a related person: may they be told ``what``?"""

    actor: str  # the RelatedPerson reference, as written
    permit: bool
    what: str


def _provision_what(provision: Any) -> str:
    names: list[str] = []
    for concept in [*(provision.code or []), *(provision.action or [])]:
        text = concept_text(concept)
        if text:
            names.append(text)
    for coding in [*(provision.class_fhir or []), *(provision.purpose or [])]:
        if coding.display or coding.code:
            names.append(str(coding.display or coding.code))
    for data in provision.data or []:
        if data.reference is not None and data.reference.display:
            names.append(str(data.reference.display))
    unique = list(dict.fromkeys(names))
    return ", ".join(unique) if unique else EVERYTHING


def provisions(consent: Any) -> list[Provision]:
    """Every provision of ``consent`` naming a related person, nested ones included."""
    found: list[Provision] = []

    def walk(provision: Any, actors: list[str], kind: str | None) -> None:
        kind = provision.type or kind
        named = [a.reference.reference for a in provision.actor or []
                 if a.reference is not None and a.reference.reference]
        actors = named or actors
        related = [r for r in actors if "RelatedPerson" in r or r.startswith("urn:")]
        if related and kind and (named or provision.code or provision.class_fhir
                                 or provision.action or provision.data):
            found.extend(Provision(r, kind == "permit", _provision_what(provision))
                         for r in related)
        for child in provision.provision or []:
            walk(child, actors, kind)

    if consent.provision is not None:
        walk(consent.provision, [], None)
    return found
