"""A patient's own symptom-management thresholds, from the care plan, applied to a message.

Examples a care plan holds: heart failure "weight up 3 lb in a day or 5 lb in a week: call";
diabetes "glucose above 300: call". A rule has a short code (``R2``) that the page may carry
without saying anything clinical; the care plan page says what R2 is.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from hub.triage.readings import Reading

UNITS = {"weight_gain_day": "lb", "weight_gain_week": "lb", "glucose_above": "mg/dL",
         "glucose_below": "mg/dL", "bp_systolic_above": "mmHg", "bp_diastolic_above": "mmHg",
         "bp_systolic_below": "mmHg", "spo2_below": "%", "weight_above": "lb",
         "pulse_above": "bpm", "pulse_below": "bpm", "temperature_above": "F"}
METRICS = tuple(UNITS)
DAY_HOURS, WEEK_HOURS = 30.0, 7 * 24.0  # "since yesterday" spans more than 24 hours


@dataclass(frozen=True)
class PlanRule:
    """One threshold of a care plan: ``metric`` (see METRICS) compared with ``threshold``."""

    code: str
    metric: str
    threshold: float


def _gain(current: Iterable[Reading], earlier: Sequence[tuple[float, float]],
          within_hours: float) -> float:
    """The largest gain from an earlier weight (hours ago, lb) to a weight in this message."""
    weights = [r.value for r in current if r.kind == "weight"]
    before = [pounds for hours, pounds in earlier if hours <= within_hours]
    return max((now - then for now in weights for then in before), default=0.0)


def _value(rule: PlanRule, found: Sequence[Reading],
           recent_weights: Sequence[tuple[float, float]]) -> float | None:
    """The message's figure for the rule's metric (largest when several), or None."""
    def largest(kinds: tuple[str, ...], second: bool = False) -> float | None:
        values = [(r.second if second else r.value) for r in found if r.kind in kinds]
        present = [v for v in values if v is not None]
        return max(present) if present else None

    if rule.metric == "weight_gain_day":
        stated = largest(("weight_gain_day",)) or 0.0
        return max(stated, _gain(found, recent_weights, DAY_HOURS)) or None
    if rule.metric == "weight_gain_week":
        stated = largest(("weight_gain_day", "weight_gain_week")) or 0.0
        return max(stated, _gain(found, recent_weights, WEEK_HOURS)) or None
    if rule.metric == "glucose_above":
        return largest(("glucose", "glucose_hi"))
    if rule.metric == "glucose_below":
        lows = [r.value for r in found if r.kind in ("glucose", "glucose_lo")]
        return min(lows) if lows else None
    if rule.metric == "bp_systolic_above":
        return largest(("bp",))
    if rule.metric == "bp_diastolic_above":
        return largest(("bp",), second=True)
    if rule.metric in ("bp_systolic_below", "spo2_below"):
        kind = "spo2" if rule.metric == "spo2_below" else "bp"
        lows = [r.value for r in found if r.kind == kind]
        return min(lows) if lows else None
    if rule.metric == "pulse_above":
        return largest(("pulse",))
    if rule.metric == "pulse_below":
        lows = [r.value for r in found if r.kind == "pulse"]
        return min(lows) if lows else None
    if rule.metric == "temperature_above":
        return largest(("temp",))
    if rule.metric == "weight_above":
        return largest(("weight",))
    return None


def fired_plan_rules(plan: Sequence[PlanRule], found: Sequence[Reading],
                     recent_weights: Sequence[tuple[float, float]] = ()) -> list[str]:
    """Codes of the rules this message's readings cross."""
    fired = []
    for rule in plan:
        value = _value(rule, found, recent_weights)
        if value is None:
            continue
        below = rule.metric.endswith("_below")
        if (value <= rule.threshold) if below else (value >= rule.threshold):
            fired.append(rule.code)
    return fired
