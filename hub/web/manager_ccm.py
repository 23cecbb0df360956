"""The manager's CCM page: each patient's minutes of a calendar month against the CPT
codes, the combinations Medicare refuses flagged, and the same as a CSV download.
Both views are audited (they name patients)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from flask import Blueprint, Response, abort, render_template, request
from sqlalchemy import select

from hub import care_time
from hub.models import Patient, utcnow
from hub.reports import ccm_codes
from hub.web.manager_access import manager_required, record_view
from messages import runtime

bp = Blueprint("manager_ccm", __name__, template_folder="templates")


def _month() -> str:
    tz = runtime.current().settings.tz
    month = request.args.get("month") or utcnow().astimezone(tz).strftime("%Y-%m")
    try:
        care_time.month_bounds(month, tz)
    except ValueError:
        abort(400, description="month: a calendar month YYYY-MM")
    return month


def _rows(month: str) -> tuple[list[ccm_codes.MonthCodes], dict[int, Patient]]:
    """Each patient's month with its codes, and the patients (decrypted: only these)."""
    rt = runtime.current()
    start, end = care_time.month_bounds(month, rt.settings.tz)
    with rt.session() as db:
        months = [ccm_codes.for_month(t) for t in care_time.month_totals(db, start, end)]
        ids = [m.time.patient_id for m in months]
        patients = {p.id: p for p in db.scalars(select(Patient).where(Patient.id.in_(ids)))}
        for patient in patients.values():
            db.expunge(patient)  # read after the session: its name is already decrypted
        record_view(db, "access.view_ccm_minutes", month=month, patient_ids=ids,
                    download=request.path.endswith(".csv"))
    return months, patients


@bp.get("/manager/ccm")
@manager_required
def ccm() -> str:
    month = _month()
    months, patients = _rows(month)
    start, end = care_time.month_bounds(month, runtime.current().settings.tz)
    return render_template("manager/ccm.html", month=month, months=months, patients=patients,
                           shown=ccm_codes.shown, first_day=start.date(),
                           last_day=(end - timedelta(days=1)).date())


@bp.get("/manager/ccm.csv")
@manager_required
def ccm_csv() -> Response:
    month = _month()
    months, patients = _rows(month)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["month", "patient_id", "patient", "clinical_minutes",
                     "physician_minutes", "other_minutes", "codes", "if_complex",
                     "physician_codes", "flags"])
    for row in months:
        patient = patients.get(row.time.patient_id)
        writer.writerow([month, row.time.patient_id, patient.name if patient else "",
                         row.time.clinical // 60, row.time.physician // 60,
                         row.time.other // 60, " ".join(row.codes),
                         " ".join(row.complex_codes), " ".join(row.physician_codes),
                         "; ".join(row.flags)])
    return Response(out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f"attachment; filename=ccm-minutes-{month}.csv",
        "Cache-Control": "no-store"})
