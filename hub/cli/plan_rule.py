"""CLI: a patient's symptom-management thresholds (care-plan rules) that triage applies.

    hub plan-rule list --patient 12
    hub plan-rule set --patient 12 R1 weight_gain_day 3 "Weight up 3 lb in a day: call"
    hub plan-rule remove --patient 12 R1
    hub plan-rule confirm --patient 12 R2       # a rule derived from the EHR's plan
    hub plan-rule change --patient 12 R2 4      # its threshold, as the clinician decides
    hub plan-rule off --patient 12 R2           # not applied (shown as off); `on` again

Rules derived on `hub import-fhir` from the care plan's instructions and goals come in as
"derived" and apply at once; a clinician's decision (confirmed, changed, off) is kept across
re-imports. Every change is written to the contact log (who, which patient, which rule), so a
manager can see when a patient's thresholds changed; list is logged as a view of the
patient's data.
"""

from __future__ import annotations

import re

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from hub import contact_log, plan_decisions
from hub.cli.patient_option import GivenPatient, actor, patient_option
from hub.models import PlanRule, utcnow
from hub.triage.plan_rules import METRICS, UNITS
from messages import runtime

CODE = re.compile(r"R\d{1,3}")


def _code(value: str) -> str:
    code = value.upper()
    if not CODE.fullmatch(code):
        raise click.BadParameter(f"{value!r} is not a rule code like R1", param_hint="CODE")
    return code


@click.group("plan-rule")
def plan_rule_group() -> None:
    """A patient's care-plan thresholds that make a reported reading urgent."""


@plan_rule_group.command("list")
@patient_option()
@with_appcontext
def list_command(given: GivenPatient) -> None:
    """Show the patient's rules (the view is logged: the patient and how many rules)."""
    with runtime.current().session() as session:
        patient_id = given.find(session).id
        lines = [f"{rule.code}  {rule.metric} {rule.threshold:g} {UNITS[rule.metric]}"
                 f"  {rule.source_text or rule.instruction or ''}"
                 f"  [{rule.state}{', from the EHR' if rule.origin == 'fhir' else ''}]"
                 for rule in session.scalars(select(PlanRule).where(
                     PlanRule.patient_id == patient_id).order_by(PlanRule.code))]
        contact_log.append(session, "access.view_plan_rules", actor=actor(), detail={
            "patient_id": patient_id, "shown": "plan rules", "rules": len(lines)})
    # printed once the audit entry is committed: nothing is shown that was not logged
    for line in lines or ["no care-plan rules for this patient"]:
        click.echo(line)


@plan_rule_group.command("set")
@patient_option()
@click.argument("code", callback=lambda _ctx, _param, value: _code(value))
@click.argument("metric", type=click.Choice(METRICS))
@click.argument("threshold", type=click.FloatRange(min=0, min_open=True, max=1000))
@click.argument("instruction", required=False)
@with_appcontext
def set_command(given: GivenPatient, code: str, metric: str, threshold: float,
                instruction: str | None) -> None:
    """Add or change rule CODE: METRIC crossing THRESHOLD is urgent for this patient."""
    with runtime.current().session() as session:
        patient_id = given.find(session).id
        rule = session.scalar(select(PlanRule).where(PlanRule.patient_id == patient_id,
                                                     PlanRule.code == code))
        if rule is None:
            rule = PlanRule(patient_id=patient_id, code=code, metric=metric,
                            threshold=threshold)
            session.add(rule)
        elif rule.origin == "fhir":  # a clinician's own threshold for a derived rule
            rule.state, rule.decided_by, rule.decided_at = "changed", actor(), utcnow()
        rule.metric, rule.threshold = metric, threshold
        if instruction is not None:
            rule.instruction = instruction
        contact_log.append(session, "care_plan.rule_set", actor=actor(),
                           detail={"patient_id": patient_id, "code": code, "metric": metric,
                                   "threshold": threshold})
    click.echo(f"{code} set: {metric} {threshold:g} {UNITS[metric]}")


@plan_rule_group.command("remove")
@patient_option()
@click.argument("code", callback=lambda _ctx, _param, value: _code(value))
@with_appcontext
def remove_command(given: GivenPatient, code: str) -> None:
    """Remove rule CODE."""
    with runtime.current().session() as session:
        patient_id = given.find(session).id
        rule = session.scalar(select(PlanRule).where(PlanRule.patient_id == patient_id,
                                                     PlanRule.code == code))
        if rule is None:
            raise click.BadParameter(f"patient {patient_id} has no rule {code}",
                                     param_hint="CODE")
        session.delete(rule)
        contact_log.append(session, "care_plan.rule_removed", actor=actor(),
                           detail={"patient_id": patient_id, "code": code})
    click.echo(f"{code} removed")


def _decide(given: GivenPatient, code: str, action: str, threshold: float | None = None) -> None:
    with runtime.current().session() as session:
        patient_id = given.find(session).id
        try:
            rule = plan_decisions.decide(session, patient_id, code, action, actor(), threshold)
        except plan_decisions.NoSuchRule as exc:
            raise click.BadParameter(str(exc), param_hint="CODE") from None
        shown = f"{rule.code} {rule.state}: {rule.metric} {rule.threshold:g} {UNITS[rule.metric]}"
    click.echo(shown)


@plan_rule_group.command("confirm")
@patient_option()
@click.argument("code", callback=lambda _ctx, _param, value: _code(value))
@with_appcontext
def confirm_command(given: GivenPatient, code: str) -> None:
    """Confirm rule CODE as derived (kept as confirmed across re-imports)."""
    _decide(given, code, "confirm")


@plan_rule_group.command("change")
@patient_option()
@click.argument("code", callback=lambda _ctx, _param, value: _code(value))
@click.argument("threshold", type=click.FloatRange(min=0, min_open=True, max=1000))
@with_appcontext
def change_command(given: GivenPatient, code: str, threshold: float) -> None:
    """Give rule CODE the clinician's own THRESHOLD (kept across re-imports)."""
    _decide(given, code, "change", threshold)


@plan_rule_group.command("off")
@patient_option()
@click.argument("code", callback=lambda _ctx, _param, value: _code(value))
@with_appcontext
def off_command(given: GivenPatient, code: str) -> None:
    """Switch rule CODE off: triage no longer applies it (the page shows it off)."""
    _decide(given, code, "off")


@plan_rule_group.command("on")
@patient_option()
@click.argument("code", callback=lambda _ctx, _param, value: _code(value))
@with_appcontext
def on_command(given: GivenPatient, code: str) -> None:
    """Switch rule CODE back on (as confirmed)."""
    _decide(given, code, "on")
