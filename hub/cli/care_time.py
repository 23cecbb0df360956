"""``hub ccm-minutes``: each patient's care-management minutes of a month, by staff type."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from hub import care_time, contact_log
from hub.cli.patient_option import GivenPatient, actor, patient_option
from hub.cli.times import parse_month
from hub.models import Patient, utcnow
from messages import runtime


def _yes(met: bool) -> str:
    return "yes" if met else "no"


@click.command("ccm-minutes")
@click.option("--month", help="calendar month YYYY-MM in the practice's time zone "
                              "(default: this month)")
@patient_option(required=False, help="only this patient: hub id or Patient/<FHIR id>")
@click.option("--names", is_flag=True, help="show patients' names (default: ids only)")
@with_appcontext
def ccm_minutes_command(month: str | None, given: GivenPatient | None, names: bool) -> None:
    """Clinical-staff and physician minutes per patient, and the CPT time thresholds met.

    99490: 20 min of clinical staff time (the billing physician's counts too); 99487:
    60 min (complex CCM: the time part only); 99491: 30 min by the physician personally.
    "Other" is time of staff who are neither (a practice manager): shown, never counted.
    """
    rt = runtime.current()
    tz = rt.settings.tz
    month = parse_month(month, "--month") if month else utcnow().astimezone(tz).strftime("%Y-%m")
    try:
        start, end = care_time.month_bounds(month, tz)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--month") from None
    with rt.reading() as session:  # no write lock while it reads (SQLite's one writer)
        patient_id = None if given is None else given.find(session).id
        rows = care_time.month_totals(session, start, end, patient_id)
        shown = {}
        if names and rows:
            shown = {pid: name for pid, name in session.execute(
                select(Patient.id, Patient.name).where(
                    Patient.id.in_([r.patient_id for r in rows])))}
        click.echo(f"CCM minutes {month} ({rt.settings.timezone}): {len(rows)} patient(s); "
                   f"time is counted only where staff gave it")
        header = ["patient", "clinical", "physician", "other", "99490 (20)", "99487 (60)",
                  "99491 (30 MD)"] + (["name"] if names else [])
        click.echo("\t".join(header))
        for row in rows:
            cells = [str(row.patient_id), str(row.clinical // 60), str(row.physician // 60),
                     str(row.other // 60), _yes(row.meets_99490), _yes(row.meets_99487),
                     _yes(row.meets_99491)] + ([str(shown.get(row.patient_id, ""))]
                                               if names else [])
            click.echo("\t".join(cells))
    with rt.session() as session:
        contact_log.append(session, "ccm.report", actor=actor(), detail={
            "month": month, "patient_id": patient_id, "patients": len(rows), "names": names})
