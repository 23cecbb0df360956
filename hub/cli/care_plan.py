"""CLI: the parts of a care plan FHIR has no standard place for, and what caregivers may be told.

    hub care-plan show --patient 12                 (or --patient Patient/<fhir id>)
    hub care-plan set --patient 12 --field emergency_instructions "Call 911, then Lena"
    hub care-plan clear --patient 12 --field prognosis
    hub care-plan disclose --caregiver 4 --may-be-told "appointments and medications"
    hub care-plan disclose --caregiver 4 --may-not-be-told "mental health notes"
    hub care-plan disclose --caregiver 4 --clear

Every change is written to the contact log with the patient and the field (never the text).
What ``disclose`` records stands beside what imported Consents say, and is kept by re-imports.
"""

from __future__ import annotations

import getpass

import click
from flask.cli import with_appcontext
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from hub import care_plan, contact_log
from hub.cli.times import parse_date
from hub.db import rows_changed
from hub.models import (
    Caregiver,
    CaregiverDisclosure,
    CarePlanActivity,
    CarePlanField,
    Patient,
    utcnow,
)
from messages import runtime

MAX_TEXT = 4000


def find_patient(session: Session, given: str) -> Patient:
    """The patient by hub id ("12") or FHIR id ("Patient/abc" or "abc")."""
    patient: Patient | None = None
    if given.isdigit():
        patient = session.get(Patient, int(given))
    else:
        fhir_id = given.removeprefix("Patient/")
        patient = session.scalars(select(Patient).where(Patient.fhir_id == fhir_id)).first()
    if patient is None:
        raise click.BadParameter(f"no patient {given!r} (give the hub id or the FHIR id)",
                                 param_hint="--patient")
    return patient


def _text(value: str, field: str) -> str:
    value = value.strip()
    if not value:
        raise click.BadParameter("is empty; use `hub care-plan clear` to remove a field",
                                 param_hint="TEXT")
    if len(value) > MAX_TEXT:
        raise click.BadParameter(f"is longer than {MAX_TEXT} characters", param_hint="TEXT")
    if field == "review_date":
        value = parse_date(value, "TEXT", example="2027-03-01").isoformat()
    return value


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


patient_option = click.option("--patient", "given", required=True,
                              help="the patient's hub id, or Patient/<FHIR id>")
field_option = click.option("--field", "field", required=True,
                            type=click.Choice(list(care_plan.FIELDS)))


@click.group("care-plan")
def care_plan_group() -> None:
    """A patient's care plan: show it, record what FHIR does not carry, caregivers' access."""


@care_plan_group.command("set")
@patient_option
@field_option
@click.argument("text")
@with_appcontext
def set_command(given: str, field: str, text: str) -> None:
    """Record FIELD of the patient's care plan as TEXT (replacing what was there)."""
    text = _text(text, field)
    with runtime.current().session() as session:
        patient = find_patient(session, given)
        row = session.scalar(select(CarePlanField).where(
            CarePlanField.patient_id == patient.id, CarePlanField.field == field))
        if row is None:
            row = CarePlanField(patient_id=patient.id, field=field)
            session.add(row)
        row.text, row.updated_at, row.updated_by = text, utcnow(), _actor()
        contact_log.append(session, "care_plan.field_set", actor=_actor(),
                           detail={"patient_id": patient.id, "field": field})
    click.echo(f"{care_plan.FIELDS[field]} set for patient {patient.id}")


@care_plan_group.command("clear")
@patient_option
@field_option
@with_appcontext
def clear_command(given: str, field: str) -> None:
    """Remove FIELD from the patient's care plan."""
    with runtime.current().session() as session:
        patient = find_patient(session, given)
        gone = rows_changed(session, delete(CarePlanField).where(
            CarePlanField.patient_id == patient.id, CarePlanField.field == field))
        if not gone:
            raise click.BadParameter(f"patient {patient.id} has no {field} recorded",
                                     param_hint="--field")
        contact_log.append(session, "care_plan.field_cleared", actor=_actor(),
                           detail={"patient_id": patient.id, "field": field})
    click.echo(f"{care_plan.FIELDS[field]} cleared for patient {patient.id}")


@care_plan_group.command("disclose")
@click.option("--caregiver", "caregiver_id", type=int, required=True,
              help="the caregiver's id (hub care-plan show lists them)")
@click.option("--may-be-told", "permit", help="what this caregiver may be told")
@click.option("--may-not-be-told", "deny", help="what this caregiver may not be told")
@click.option("--clear", is_flag=True, help="remove what was recorded here for this caregiver")
@with_appcontext
def disclose_command(caregiver_id: int, permit: str | None, deny: str | None,
                     clear: bool) -> None:
    """Record what a caregiver may (and may not) be told; imported Consents stay as they are."""
    if clear == bool(permit or deny):
        raise click.UsageError("give --may-be-told and/or --may-not-be-told, or --clear")
    with runtime.current().session() as session:
        caregiver = session.get(Caregiver, caregiver_id)
        if caregiver is None:
            raise click.BadParameter(f"no caregiver with id {caregiver_id}",
                                     param_hint="--caregiver")
        session.execute(delete(CaregiverDisclosure).where(
            CaregiverDisclosure.caregiver_id == caregiver_id,
            CaregiverDisclosure.consent_id.is_(None)))
        for allowed, what in ((True, permit), (False, deny)):
            if what:
                session.add(CaregiverDisclosure(caregiver_id=caregiver_id, permit=allowed,
                                                what=_text(what, "disclosure")))
        contact_log.append(session, "care_plan.disclosure_set", actor=_actor(),
                           detail={"patient_id": caregiver.patient_id,
                                   "caregiver_id": caregiver_id, "cleared": clear})
    click.echo(f"caregiver {caregiver_id}: " + ("cleared" if clear else "recorded"))


def _activity(a: CarePlanActivity) -> str:
    who = a.performer.name if a.performer else a.performer_text
    return (f"  - {a.text or '(not described)'} [{a.status or 'status not given'}]"
            + (f"; {a.scheduled}" if a.scheduled else "") + (f"; by {who}" if who else ""))


def _due(due: str | None) -> str | None:
    return due if due is None or due.startswith("within") else f"by {due}"


def _lines(view: care_plan.CarePlanView) -> list[str]:
    patient, review = view.patient, view.review
    manager = patient.care_manager.name if patient.care_manager else "none designated"
    lines = [f"{patient.name} (patient {patient.id}), language {view.language}, "
             f"care manager {manager}", f"Review date: {review[0] or '-'} ({review[1]})"]
    lines += [f"{label}: {view.fields[name]}" for name, label in care_plan.FIELDS.items()
              if name in view.fields and name != "review_date"]
    lines += [f"Assessment {a.date or '(no date)'}: "
              + ": ".join(t for t in (a.prognosis, a.summary) if t) for a in view.prognoses[:3]]
    lines.append("Problems:")
    lines += [f"  - {c.text or c.code} ({c.clinical_status})" for c in view.problems]
    lines.append("Goals:")
    for g in view.goals:
        targets = "; ".join(" ".join(filter(None, (t["measure"], t["detail"], _due(t["due"]))))
                            for t in g.targets)
        lines.append(f"  - {g.goal.description} [{g.goal.lifecycle_status}"
                     f"{', ' + g.goal.achievement_status if g.goal.achievement_status else ''}]"
                     + (f": {targets}" if targets else ""))
    for kind, label in (("intervention", "Planned interventions"),
                        ("community", "Community and social services"),
                        ("referral", "Outside providers")):
        lines.append(f"{label}:")
        lines += [_activity(a) for a in view.activities.get(kind, [])]
    lines.append("Symptom-management rules:")
    lines += [f"  - {r.code} {r.instruction or r.metric}" for r in view.rules]
    lines.append("Caregivers:")
    for c in view.caregivers:
        lines.append(f"  - {c.caregiver.name} (caregiver {c.caregiver.id}, "
                     f"{c.caregiver.relationship_text or 'relationship not given'}): may be told "
                     f"{'; '.join(c.may_be_told) or 'nothing recorded'}"
                     + (f"; not {'; '.join(c.may_not_be_told)}" if c.may_not_be_told else ""))
    return lines


@care_plan_group.command("show")
@patient_option
@with_appcontext
def show_command(given: str) -> None:
    """Print the patient's care plan as the staff page shows it (the view is logged)."""
    with runtime.current().session() as session:
        patient = find_patient(session, given)
        view = care_plan.load(session, patient)
        for line in _lines(view):
            click.echo(line)
        contact_log.append(session, "access.view_care_plan", actor=_actor(),
                           detail={"patient_id": patient.id})
