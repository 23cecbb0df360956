"""The manager's CCM page: each patient's minutes of a calendar month against the CPT
codes (with how much of it was outreach), the codes the practice billed (recorded here)
checked against the minutes and the combinations Medicare refuses, the month's outreach and
every STOP/START, and the same minutes as a CSV download. Both views are audited
(they name patients); recording what was billed is logged."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from sqlalchemy import select

from hub import care_time, contact_log
from hub.models import CcmBilling, Patient, utcnow
from hub.reports import ccm_codes, outreach
from hub.web.manager_access import manager_id, manager_required, record_view
from messages import runtime

bp = Blueprint("manager_ccm", __name__, template_folder="templates")


@dataclass(frozen=True)
class Line:
    """One patient's month on the page: minutes, codes, and what was billed with its flags."""

    month: ccm_codes.MonthCodes
    patient: Patient | None
    billed: list[str]
    billed_flags: list[str]


def _month(raw: str | None) -> str:
    tz = runtime.current().settings.tz
    month = raw or utcnow().astimezone(tz).strftime("%Y-%m")
    try:
        care_time.month_bounds(month, tz)
    except ValueError:
        abort(400, description="month: a calendar month YYYY-MM")
    return month


def _lines(month: str) -> list[Line]:
    """Each patient with time or billed codes this month (names decrypted: only these)."""
    rt = runtime.current()
    start, end = care_time.month_bounds(month, rt.settings.tz)
    with rt.reading() as db:
        times = {t.patient_id: t for t in care_time.month_totals(db, start, end)}
        bills = {b.patient_id: b.codes.split() for b in db.scalars(
            select(CcmBilling).where(CcmBilling.month == month))}
        ids = sorted(times.keys() | bills.keys())
        patients = {p.id: p for p in db.scalars(select(Patient).where(Patient.id.in_(ids)))}
        for patient in patients.values():
            db.expunge(patient)  # read after the session: its name is already decrypted
    record_view("access.view_ccm_minutes", month=month, patient_ids=ids,
                download=request.path.endswith(".csv"))
    lines = []
    for pid in ids:
        codes = ccm_codes.for_month(times.get(pid) or care_time.MonthTime(pid, 0, 0, 0))
        billed = bills.get(pid, [])
        flags = ccm_codes.problems(billed) + ccm_codes.unsupported(billed, codes)
        lines.append(Line(codes, patients.get(pid), billed, flags))
    return lines


@bp.get("/manager/ccm")
@manager_required
def ccm() -> str:
    month = _month(request.args.get("month"))
    start, end = care_time.month_bounds(month, runtime.current().settings.tz)
    with runtime.current().reading() as db:
        reach = {"minutes": outreach.minutes_by_patient(db, start, end),
                 "outcomes": outreach.outcomes(db, start, end),
                 "preferences": outreach.preference_changes(db, start, end)}
    return render_template("manager/ccm.html", month=month, lines=_lines(month),
                           shown=ccm_codes.shown, first_day=start.date(),
                           last_day=(end - timedelta(days=1)).date(), reach=reach)


@bp.post("/manager/ccm/<ref>/billed")
@manager_required
def billed(ref: str) -> Any:
    """Record the codes billed for a patient's month (empty: none); logged."""
    month = _month(request.form.get("month"))
    try:
        codes = ccm_codes.parse_billed(request.form.get("codes", ""))
    except ccm_codes.BadCodes as exc:
        abort(400, description=str(exc))
    with runtime.current().session() as db:
        patient = db.scalar(select(Patient).where(Patient.ref == ref))
        if patient is None:
            abort(404, description="no patient with that reference")
        row = db.scalar(select(CcmBilling).where(CcmBilling.patient_id == patient.id,
                                                 CcmBilling.month == month))
        if row is None and codes:
            db.add(CcmBilling(patient_id=patient.id, month=month, codes=" ".join(codes),
                              recorded_by_id=manager_id(), recorded_at=utcnow()))
        elif row is not None and codes:
            row.codes, row.recorded_by_id, row.recorded_at = (" ".join(codes), manager_id(),
                                                              utcnow())
        elif row is not None:
            db.delete(row)
        contact_log.append(db, "ccm.billed", actor=f"staff:{manager_id()}", detail={
            "patient_id": patient.id, "month": month, "codes": codes})
    return redirect(url_for("manager_ccm.ccm", month=month))


@bp.get("/manager/ccm.csv")
@manager_required
def ccm_csv() -> Response:
    month = _month(request.args.get("month"))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["month", "patient_id", "patient", "clinical_minutes",
                     "physician_minutes", "other_minutes", "codes", "if_complex",
                     "physician_codes", "flags", "billed", "billed_flags"])
    for line in _lines(month):
        time = line.month.time
        writer.writerow([month, time.patient_id, line.patient.name if line.patient else "",
                         time.clinical // 60, time.physician // 60, time.other // 60,
                         " ".join(line.month.codes), " ".join(line.month.complex_codes),
                         " ".join(line.month.physician_codes), "; ".join(line.month.flags),
                         " ".join(line.billed), "; ".join(line.billed_flags)])
    return Response(out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f"attachment; filename=ccm-minutes-{month}.csv",
        "Cache-Control": "no-store"})
