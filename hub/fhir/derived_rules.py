"""Care-plan rules from what the EHR sent: a CarePlan's activities, description and notes in
plain words (hub.triage.instructions), the structured quantity of a LOINC-coded activity, and
Goal targets on LOINC-coded measures (weight, systolic and diastolic pressure, glucose, SpO2).

A plan's instruction is a call threshold: its rule comes in "derived" and applies at once. A
goal's target is not (a dry weight of 180 lb, a fasting glucose of 80 to 130 are aims, not
reasons to page at night): its rule comes in "off", shown on the care plan page for a
clinician to switch on (``hub plan-rule on``) or change.

Each rule found is keyed by where it came from ("CarePlan/hf-1/activity-2/weight_gain_day"),
so importing the same plan again finds the same rule: a rule no clinician decided on follows
the EHR, a clinician's decision (confirmed, changed, off) is kept. A plan's rule whose source
no longer gives it goes, unless a clinician decided on it; a goal's offer stays. Runs after
the import's flush (the patients have their ids), in the import's transaction.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.fhir.bundle import Entry
from hub.fhir.mapping import concept_text
from hub.fhir.plan import quantity_text
from hub.models import PlanRule
from hub.triage.instructions import derive, looks_like_instruction

LOINC = "http://loinc.org"
# LOINC measure -> (word for the reader, metric of a value above the goal, of one below)
MEASURES: dict[str, tuple[str, str | None, str | None]] = {
    "29463-7": ("weight", "weight_above", None), "3141-9": ("weight", "weight_above", None),
    "8480-6": ("systolic", "bp_systolic_above", "bp_systolic_below"),
    "8462-4": ("diastolic", "bp_diastolic_above", None),
    "2339-0": ("glucose", "glucose_above", "glucose_below"),
    "15074-8": ("glucose", "glucose_above", "glucose_below"),
    "2345-7": ("glucose", "glucose_above", "glucose_below"),
    "59408-5": ("spo2", None, "spo2_below"), "2708-6": ("spo2", None, "spo2_below"),
}
_PAST_PLAN = {"revoked", "completed", "entered-in-error"}
_PAST_ACTIVITY = {"cancelled", "stopped", "completed", "entered-in-error"}
_PAST_GOAL = {"cancelled", "completed", "entered-in-error", "rejected"}
_SENTENCE = re.compile(r"(?<=[.!?;])\s+|\n+")
FHIR = "fhir"
DERIVED, OFF = "derived", "off"


@dataclass(frozen=True)
class Found:
    """A rule found at ``key`` (a metric and threshold), from the words ``text``."""

    key: str
    metric: str
    threshold: float
    text: str
    tell_patient: bool  # the words are an instruction to the patient (said back when it fires)

    @property
    def state(self) -> str:
        """How it comes in: an instruction applies at once, a goal's target waits (off)."""
        return DERIVED if self.tell_patient else OFF


def _loinc(concept: Any) -> str | None:
    for coding in (concept.coding or []) if concept is not None else []:
        if coding.system == LOINC and coding.code in MEASURES:
            return str(coding.code)
    return None


def sentences(text: str | None) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text or "") if s and s.strip()]


def _from_words(where: str, text: str | None) -> Iterator[Found]:
    best: dict[str, Found] = {}
    for sentence in sentences(text):
        for rule in derive(sentence):
            best.setdefault(rule.metric, Found(f"{where}/{rule.metric}", rule.metric,
                                               rule.threshold, sentence, True))
    yield from best.values()


def _from_quantity(where: str, detail: Any) -> Iterator[Found]:
    """A LOINC-coded activity ("Body weight", 29463-7) whose quantity is the threshold and
    whose description says which way ("call if it rises more than")."""
    code = _loinc(detail.code)
    quantity = detail.quantity or detail.dailyAmount
    if code is None or quantity is None or quantity.value is None:
        return
    word = MEASURES[code][0]
    text = f"{detail.description or ''} ({concept_text(detail.code)}: {quantity_text(quantity)})"
    for rule in derive(f"{word} {detail.description or ''} {float(quantity.value):g} "
                       f"{quantity.unit or quantity.code or ''} a day"
                       if word == "weight" else
                       f"{word} {detail.description or ''} {float(quantity.value):g} "
                       f"{quantity.unit or quantity.code or ''}"):
        yield Found(f"{where}/{rule.metric}", rule.metric, rule.threshold, text.strip(), True)


def from_care_plan(key: str, plan: Any) -> list[Found]:
    """The rules a CarePlan's words and coded activities give."""
    if plan.status in _PAST_PLAN:
        return []
    found = list(_from_words(f"CarePlan/{key}/description", plan.description))
    for i, note in enumerate(plan.note or []):
        found += _from_words(f"CarePlan/{key}/note-{i}", note.text)
    for i, activity in enumerate(plan.activity or []):
        detail = activity.detail
        if detail is None or detail.status in _PAST_ACTIVITY:
            continue
        where = f"CarePlan/{key}/activity-{i}"
        words = list(_from_words(where, detail.description or concept_text(detail.code)))
        found += words or list(_from_quantity(where, detail))
    return found


def _bound(quantity: Any, word: str) -> float | None:
    if quantity is None or quantity.value is None:
        return None
    value, unit = float(quantity.value), (quantity.unit or quantity.code or "").lower()
    if word == "weight" and unit.startswith("kg"):
        return round(value * 2.20462, 1)
    if word == "glucose" and "mmol" in unit:
        return float(round(value * 18))
    return value


def from_goal(key: str, goal: Any) -> list[Found]:
    """Rules from a Goal's targets on LOINC-coded measures: above the high end, below the low."""
    if goal.lifecycleStatus in _PAST_GOAL:
        return []
    found = []
    for i, target in enumerate(goal.target or []):
        code = _loinc(target.measure)
        if code is None:
            continue
        word, above, below = MEASURES[code]
        low = high = None
        if target.detailRange is not None:
            low, high = (_bound(target.detailRange.low, word),
                         _bound(target.detailRange.high, word))
        elif target.detailQuantity is not None:
            comparator = target.detailQuantity.comparator or ""
            value = _bound(target.detailQuantity, word)
            high, low = (value, None) if "<" in comparator else (
                (None, value) if ">" in comparator else (None, None))
        text = "Goal: " + " ".join(t for t in (concept_text(goal.description),
                                                concept_text(target.measure)) if t)
        detail = (quantity_text(target.detailQuantity) if target.detailQuantity is not None
                  else f"{quantity_text(target.detailRange.low) or '...'} to "
                       f"{quantity_text(target.detailRange.high) or '...'}"
                  if target.detailRange is not None else "")
        for metric, value in ((above, high), (below, low)):
            if metric is not None and value is not None:
                found.append(Found(f"Goal/{key}/target-{i}/{metric}", metric, value,
                                   f"{text} {detail}".strip(), False))
    return found


def not_understood(texts: Iterable[str | None]) -> list[str]:
    """The sentences that read as instructions but give no rule (shown, never dropped)."""
    return [s for text in texts for s in sentences(text)
            if looks_like_instruction(s) and not derive(s)]


def _next_code(taken: set[str]) -> str:
    n = 1
    while f"R{n}" in taken:
        n += 1
    return f"R{n}"


def apply(session: Session, patient_id: int, prefix: str, found: list[Found],
          care_plan_id: int | None = None) -> int:
    """Bring the patient's rules from ``prefix`` ("CarePlan/hf-1/") in line with ``found``;
    returns how many rules were added."""
    rules = list(session.scalars(select(PlanRule).where(PlanRule.patient_id == patient_id)))
    taken = {r.code for r in rules}
    mine = {r.source_key: r for r in rules if r.source_key and r.source_key.startswith(prefix)}
    added = 0
    for rule in found:
        row = mine.pop(rule.key, None)
        if row is None:
            row = PlanRule(patient_id=patient_id, code=_next_code(taken), metric=rule.metric,
                           threshold=rule.threshold, origin=FHIR, source_key=rule.key)
            taken.add(row.code)
            session.add(row)
            added += 1
        if row.decided_by is None:  # no clinician's decision: the EHR's words hold
            row.threshold, row.state = rule.threshold, rule.state
        row.source_text, row.derived_threshold = rule.text, rule.threshold
        row.instruction = rule.text if rule.tell_patient else None
        row.care_plan_id = care_plan_id
    for gone in mine.values():
        # a goal's offer stays (off, so harmless): the hub's own export sends a target's
        # measure as words, and its re-import must change nothing
        if gone.decided_by is None and not gone.source_key.startswith("Goal/"):
            session.delete(gone)
    return added


def derive_all(session: Session, entries: list[Entry], rows: dict[int, Any]) -> int:
    """Derive the rules of every CarePlan and Goal just written; how many were added."""
    added = 0
    for entry in entries:
        row = rows.get(id(entry))
        if row is None or entry.kind not in ("CarePlan", "Goal"):
            continue
        if entry.kind == "CarePlan":
            found, plan_id = from_care_plan(entry.key, entry.resource), row.id
        else:
            found, plan_id = from_goal(entry.key, entry.resource), None
        added += apply(session, row.patient_id, f"{entry.kind}/{entry.key}/", found, plan_id)
    return added
