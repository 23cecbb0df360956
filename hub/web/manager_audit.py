"""The access audit page: who viewed which patient's data, when and from where, with
break-glass views marked, and the manager's sign-off that it was reviewed (45 CFR
164.308(a)(1)(ii)(D)). Reading the audit is itself audited."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for
from sqlalchemy import select

from hub.models import Patient, Staff, utcnow
from hub.reports import access_audit, timeline
from hub.web.manager_access import manager_id, manager_required, record_view
from messages import runtime

bp = Blueprint("manager_audit", __name__, template_folder="templates")


@bp.get("/manager/audit")
@manager_required
def audit() -> str:
    before = request.args.get("before", "")
    if before and not before.isdigit():
        abort(400, description="before: an entry number")
    with runtime.current().reading() as db:
        rows, next_before = access_audit.page(db, int(before) if before else None)
        staff_ids = {i for i in (timeline.actor_id(r.actor) for r in rows) if i is not None}
        patient_ids = {r.patient_id for r in rows if r.patient_id is not None}
        patients = {pid: (ref, name) for pid, ref, name in db.execute(
            select(Patient.id, Patient.ref, Patient.name).where(Patient.id.in_(patient_ids)))}
        review = access_audit.last_review(db)
        reviewer = review.reviewed_by.name if review else None
        page = render_template(
            "manager/audit.html", rows=rows, next_before=next_before, patients=patients,
            names=timeline.staff_names(db, staff_ids), review=review, reviewer=reviewer,
            unreviewed=access_audit.unreviewed(db, review),
            actor_id=timeline.actor_id, now=utcnow())
    record_view("access.view_audit", patient_ids=sorted(patient_ids))
    return page


@bp.post("/manager/audit/sign-off")
@manager_required
def sign_off() -> Any:
    """The manager signs that the audit was reviewed through a time (default: now)."""
    raw = request.form.get("through", "").strip()
    now = utcnow()
    try:
        through = datetime.fromisoformat(raw) if raw else now
    except ValueError:
        abort(400, description="through: a date and time (YYYY-MM-DDTHH:MM)")
    if through.tzinfo is None:
        through = through.replace(tzinfo=runtime.current().settings.tz)
    with runtime.current().session() as db:
        manager = db.get(Staff, manager_id())
        assert manager is not None
        try:
            access_audit.sign_off(db, manager, through, now,
                                  request.form.get("note", "").strip() or None)
        except access_audit.BadSignOff as exc:
            abort(400, description=str(exc))
    return redirect(url_for("manager_audit.audit"))
