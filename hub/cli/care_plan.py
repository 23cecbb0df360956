"""CLI: the parts of a care plan FHIR has no standard place for, and what caregivers may be told.

    hub care-plan show --patient 12                 (or --patient Patient/<fhir id>)
    hub care-plan set --patient 12 --field emergency_instructions "Call 911, then Lena"
    hub care-plan clear --patient 12 --field prognosis
    hub care-plan disclose --caregiver 4 --may-be-told "appointments and medications"
    hub care-plan disclose --caregiver 4 --may-not-be-told "mental health notes"
    hub care-plan disclose --caregiver 4 --clear

``show`` prints the sheet the staff care plan page renders (:mod:`hub.care_plan_sheet`, the one
source of both). Every change and every view is written to the contact log with the patient
and the field (never the text).
What ``disclose`` records stands beside what imported Consents say, and is kept by re-imports.
"""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import delete, select

from hub import care_plan, care_plan_sheet, contact_log, outreach, outreach_view
from hub.cli.patient_option import GivenPatient, actor, patient_option
from hub.cli.times import parse_date
from hub.db import rows_changed
from hub.models import (
    Caregiver,
    CaregiverDisclosure,
    CarePlanField,
    utcnow,
)
from messages import runtime

MAX_TEXT = 4000


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


field_option = click.option("--field", "field", required=True,
                            type=click.Choice(list(care_plan.FIELDS)))


@click.group("care-plan")
def care_plan_group() -> None:
    """A patient's care plan: show it, record what FHIR does not carry, caregivers' access."""


@care_plan_group.command("set")
@patient_option()
@field_option
@click.argument("text")
@with_appcontext
def set_command(given: GivenPatient, field: str, text: str) -> None:
    """Record FIELD of the patient's care plan as TEXT (replacing what was there)."""
    text = _text(text, field)
    with runtime.current().session() as session:
        patient = given.find(session)
        row = session.scalar(select(CarePlanField).where(
            CarePlanField.patient_id == patient.id, CarePlanField.field == field))
        if row is None:
            row = CarePlanField(patient_id=patient.id, field=field)
            session.add(row)
        row.text, row.updated_at, row.updated_by = text, utcnow(), actor()
        contact_log.append(session, "care_plan.field_set", actor=actor(),
                           detail={"patient_id": patient.id, "field": field})
    click.echo(f"{care_plan.FIELDS[field]} set for patient {patient.id}")


@care_plan_group.command("clear")
@patient_option()
@field_option
@with_appcontext
def clear_command(given: GivenPatient, field: str) -> None:
    """Remove FIELD from the patient's care plan."""
    with runtime.current().session() as session:
        patient = given.find(session)
        gone = rows_changed(session, delete(CarePlanField).where(
            CarePlanField.patient_id == patient.id, CarePlanField.field == field))
        if not gone:
            raise click.BadParameter(f"patient {patient.id} has no {field} recorded",
                                     param_hint="--field")
        contact_log.append(session, "care_plan.field_cleared", actor=actor(),
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
        contact_log.append(session, "care_plan.disclosure_set", actor=actor(),
                           detail={"patient_id": caregiver.patient_id,
                                   "caregiver_id": caregiver_id, "cleared": clear})
    click.echo(f"caregiver {caregiver_id}: " + ("cleared" if clear else "recorded"))


def as_text(sheet: care_plan_sheet.Sheet) -> list[str]:
    """The sheet the care plan page renders, as lines: the facts, then each section under its
    title (a table's row as its first text, then each further column named)."""
    def words(line: care_plan_sheet.Line, columns: tuple[str, ...]) -> str:
        texts = ["; ".join(text.splitlines()) for text in line.cells]
        if not columns:
            return ": ".join(texts)
        return "; ".join([texts[0], *(f"{name}: {text}" for name, text
                                      in zip(columns[1:], texts[1:], strict=True) if text)])

    lines = [sheet.title, *(words(line, ()) for line in sheet.facts.lines)]
    for section in sheet.sections:
        lines.append(f"{section.title}:")
        if section.note:
            lines.append(f"  {section.note}")
        bullet = "- " if section.kind in ("list", "table") else ""
        lines += [f"  {bullet}{words(line, section.columns)}" for line in section.lines]
        if not section.lines:
            lines.append(f"  {section.empty}")
    return lines


@care_plan_group.command("show")
@patient_option()
@with_appcontext
def show_command(given: GivenPatient) -> None:
    """Print the patient's care plan as the staff page shows it (the view is logged)."""
    rt = runtime.current()
    with rt.session() as session:
        patient = given.find(session)
        lines = as_text(outreach_view.care_plan(session, patient, outreach.Clock(
            rt.settings.tz, rt.settings.quiet_hours)))
        lines[0] += f" (patient {patient.id})"
        contact_log.append(session, "access.view_care_plan", actor=actor(),
                           detail={"patient_id": patient.id})
    # printed once the audit entry is committed: nothing is shown that was not logged
    for line in lines:
        click.echo(line)
