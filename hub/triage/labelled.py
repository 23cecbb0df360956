"""The labelled message sets (tests/data/triage_*.jsonl): a row's own patient, as triage sees it.

A row is {"id", "text", "lang", "label" (emergency|crisis|routine), "kind", "sender", "note"}
and may carry the patient's own plan: {"plan": {"conditions": [...], "medications": [...],
"instructions": [...]}}. Conditions and medications give the patient's profiles (condition-
aware red flags); instructions are read into care-plan rules by the same reader the FHIR
import uses (hub.triage.instructions), so the bench exercises the derivation end to end.
``hub triage-feedback export`` writes rows of this shape.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hub.triage.classify import Triage, Triager
from hub.triage.instructions import derive
from hub.triage.plan_rules import PlanRule

LABELS = ("emergency", "crisis", "routine")


@dataclass(frozen=True)
class RowPatient:
    """What a row's plan makes of its patient: care-plan rules and profiles."""

    rules: tuple[PlanRule, ...] = ()
    profile: frozenset[str] = frozenset()


def rules_from(instructions: Sequence[str]) -> tuple[PlanRule, ...]:
    """Care-plan rules R1, R2... read from plain-language instructions."""
    derived = [d for text in instructions for d in derive(text)]
    return tuple(PlanRule(f"R{i}", d.metric, d.threshold) for i, d in enumerate(derived, 1))


def patient_of(triager: Triager, row: Mapping[str, Any]) -> RowPatient:
    plan = row.get("plan") or {}
    conditions = [(c, c) for c in plan.get("conditions", ())]
    return RowPatient(rules_from(plan.get("instructions", ())),
                      triager.profile(conditions, plan.get("medications", ())))


def classify_row(triager: Triager, row: Mapping[str, Any]) -> Triage:
    """Triage a row's text as the hub would for its patient (no earlier weights)."""
    patient = patient_of(triager, row)
    return triager.classify(row["text"], patient.rules, (), patient.profile)


def load(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]
