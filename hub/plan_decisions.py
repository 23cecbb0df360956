"""A clinician's decision on one of a patient's care-plan rules: confirm it, change its
threshold, switch it off or on again. Logged in the contact log (who, which patient, which rule,
what now holds); a decision is kept when the plan is imported again (hub.fhir.derived_rules).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub import contact_log
from hub.models import PlanRule, utcnow

STATES = ("derived", "confirmed", "changed", "off")
ACTIONS = {"confirm": "confirmed", "change": "changed", "off": "off", "on": "confirmed"}


class NoSuchRule(LookupError):
    """The patient has no rule with that code."""


def decide(session: Session, patient_id: int, code: str, action: str, actor: str,
           threshold: float | None = None, now: datetime | None = None) -> PlanRule:
    """Apply ``action`` (confirm | change | off | on) to rule ``code``; ``threshold`` with
    change. "on" brings a rule switched off back as confirmed."""
    rule = session.scalar(select(PlanRule).where(PlanRule.patient_id == patient_id,
                                                 PlanRule.code == code))
    if rule is None:
        raise NoSuchRule(f"patient {patient_id} has no rule {code}")
    if action == "change":
        if threshold is None:
            raise ValueError("change needs the new threshold")
        rule.threshold = threshold
    rule.state = ACTIONS[action]
    rule.decided_by, rule.decided_at = actor, now or utcnow()
    contact_log.append(session, "care_plan.rule_decided", actor=actor, detail={
        "patient_id": patient_id, "code": code, "action": action, "state": rule.state,
        "metric": rule.metric, "threshold": rule.threshold})
    return rule
