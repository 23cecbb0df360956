"""The care manager's transition tasks: a discharge's follow-up beside the patient, with its
due time; recording the interactive contact (reached by phone, video or in person, with the
minutes; or "could not reach, tried", which keeps it open), and calling the patient through
the practice line (a call that connects closes it too). Every view is audited."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from hub import care_time, contact_log, transitions
from hub.models import Staff, TransitionTask, utcnow
from hub.web.staff import _audited, access, forbidden
from messages import callback_call, kick, runtime
from routing import transition_pages

bp = Blueprint("staff_transitions", __name__, template_folder="templates")


def _task(db: Any, ref: str) -> TransitionTask:
    task = db.scalar(select(TransitionTask).where(TransitionTask.ref == ref))
    if task is None:
        abort(404, description="no transition task with that reference")
    return task


@bp.get("/staff/t/<ref>")
@login_required
def task_page(ref: str) -> Any:
    with runtime.current().session() as db:
        task = _task(db, ref)
        how = access(db, task.patient)
        if how is None:
            return forbidden(task.patient, request.path)
        contact_log.append(db, "access.view_transition", actor=f"staff:{current_user.id}",
                           detail=_audited({"patient_id": task.patient_id, "task": ref}, how))
        return render_template(
            "transition.html", task=task, state=transitions.state(task, utcnow()),
            classes=transitions.DISCHARGE_CLASSES, methods=transitions.METHODS,
            glass=how == "glass")


@bp.post("/staff/t/<ref>/record")
@login_required
def record(ref: str) -> Any:
    """Record a try at the interactive contact (done unless "could not reach")."""
    method = request.form.get("method", "")
    if method not in transitions.METHODS:
        abort(400, description="method: one of " + ", ".join(transitions.METHODS))
    try:
        minutes = care_time.parse_minutes(request.form.get("minutes"))
    except care_time.BadMinutes as exc:
        abort(400, description=f"minutes: {exc}")
    if method in transitions.REACHED and minutes is None:
        abort(400, description="minutes: give the minutes spent with the patient (1 to 240)")
    with runtime.current().session() as db:
        task, staff = _task(db, ref), db.get(Staff, current_user.id)
        if access(db, task.patient) is None or staff is None:
            abort(403, description="not your patient: open the task to break the glass")
        transition_pages.complete(db, task, staff, method, minutes, utcnow())
    return redirect(url_for("staff_transitions.task_page", ref=ref))


@bp.post("/staff/t/<ref>/call")
@login_required
def call(ref: str) -> Any:
    """Ring the care manager, then the patient, from the practice number."""
    rt = runtime.current()
    with rt.session() as db:
        task, staff = _task(db, ref), db.get(Staff, current_user.id)
        if access(db, task.patient) is None or staff is None:
            abort(403, description="not your patient: open the task to break the glass")
        if task.status != "open":
            abort(409, description="this follow-up is already done")
        now = utcnow()
        contact = transition_pages.contact_for(db, task, now)
        line = callback_call.Line(rt.settings.practice_number, rt.settings.public_url)
        try:
            callback_call.start(db, contact, staff, line, now, rt.policy)
        except callback_call.CannotCall as exc:
            abort(409, description=f"cannot call: {exc}")
    kick.work_soon(rt)
    return redirect(url_for("staff_transitions.task_page", ref=ref))
