"""What triage needs to know of a patient at intake: care-plan rules, recent weights, and the
profiles (heart failure, anticoagulated...) of their problem list and medications.

Core statements, run only when a matched patient's message holds a reading or the words of a
red flag for some patients only (most messages do neither), and the readings of each message
kept for the next one to compare with. A rule a clinician switched off is not applied.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection, Text, bindparam, insert, literal, select, type_coerce, union_all

from hub import hot_path
from hub.crypto import active
from hub.models import Condition, Medication, PlanRule, ReportedReading
from hub.triage.classify import Triage, Triager
from hub.triage.plan_rules import WEEK_HOURS
from hub.triage.plan_rules import PlanRule as Rule
from hub.triage.profile import PAST_CONDITION, PAST_MEDICATION
from hub.triage.readings import Reading

KEPT_KINDS = ("weight", "glucose", "bp")

OFF = "off"  # a rule a clinician switched off (hub plan-rule off)
_RULES = select(PlanRule.code, PlanRule.metric, PlanRule.threshold).where(
    PlanRule.state != OFF).order_by(PlanRule.code)


def classify(conn: Connection, triager: Triager, text: str | None, patient_id: int | None,
             now: datetime) -> Triage:
    """Triage a message; again with the patient's rules and profiles when they could matter."""
    first = triager.classify(text)
    if patient_id is None or not first.asks_patient:
        return first
    rules = rules_for(conn, patient_id) if first.readings else []
    patient = profile(conn, triager, patient_id)
    if not rules and not patient:
        return first
    weights = (recent_weights(conn, patient_id, now)
               if any(rule.metric.startswith("weight") for rule in rules) else [])
    return triager.classify(text, rules, weights, patient)


def rules_for(conn: Connection, patient_id: int) -> list[Rule]:
    """The patient's care-plan thresholds in force (not switched off)."""
    rows = conn.execute(_RULES.where(PlanRule.patient_id == patient_id))
    return [Rule(code, metric, float(threshold)) for code, metric, threshold in rows]


# Problems and medications in one statement on the hot path (a webhook runs it for any message
# whose words matter only for some patients); the texts come back as stored, encrypted.
_PATIENT = bindparam("patient_id")
_PROBLEMS_AND_MEDICATIONS = union_all(
    select(literal("condition").label("kind"), Condition.code.label("code"),
           type_coerce(Condition.__table__.c.text, Text).label("text"),
           Condition.clinical_status.label("status"))
    .where(Condition.patient_id == _PATIENT),
    select(literal("medication"), literal(None), type_coerce(Medication.__table__.c.text, Text),
           Medication.status)
    .where(Medication.patient_id == _PATIENT))


def profile(conn: Connection, triager: Triager, patient_id: int) -> frozenset[str]:
    """The patient's profiles from their current problems and medications."""
    cipher = active()
    conditions: list[tuple[str | None, str | None]] = []
    medications: list[str | None] = []
    for kind, code, stored, status in hot_path.run(conn, _PROBLEMS_AND_MEDICATIONS,
                                                   {"patient_id": patient_id}):
        text = cipher.decrypt(stored) if stored is not None else None
        if kind == "condition" and status not in PAST_CONDITION:
            conditions.append((code, text))
        elif kind == "medication" and status not in PAST_MEDICATION:
            medications.append(text)
    return triager.profile(conditions, medications)


def instructions(conn: Connection, patient_id: int, codes: tuple[str, ...]) -> list[str]:
    """What the patient's care plan says to do for the rules that fired (``R1``...), for the
    answer to the patient herself; a rule recorded without words gives none."""
    rows = conn.execute(select(PlanRule.instruction).where(
        PlanRule.patient_id == patient_id, PlanRule.code.in_(codes)).order_by(PlanRule.code))
    return [text.strip() for (text,) in rows if text and text.strip()]


def recent_weights(conn: Connection, patient_id: int, now: datetime) -> list[tuple[float, float]]:
    """The patient's weights reported in the last week, as (hours ago, pounds)."""
    rows = conn.execute(
        select(ReportedReading.at, ReportedReading.value)
        .where(ReportedReading.patient_id == patient_id, ReportedReading.kind == "weight",
               ReportedReading.at >= now - timedelta(hours=WEEK_HOURS))
    )
    return [((now - at).total_seconds() / 3600, float(value)) for at, value in rows]


def keep_readings(conn: Connection, patient_id: int, contact_id: int,
                  found: tuple[Reading, ...], now: datetime) -> None:
    """Store the message's weights, glucoses and blood pressures for later comparison."""
    rows = [{"patient_id": patient_id, "contact_id": contact_id, "kind": r.kind,
             "value": f"{r.value:g}" if r.second is None else f"{r.value:g}/{r.second:g}",
             "at": now} for r in found if r.kind in KEPT_KINDS]
    if rows:
        conn.execute(insert(ReportedReading), rows)
