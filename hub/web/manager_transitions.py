"""The manager's transitions page: the discharge follow-ups due, done and late, counted by
week, each linking to its patient; audited (it names patients)."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, render_template, request

from hub.models import utcnow
from hub.reports import transitions as report
from hub.transitions import DISCHARGE_CLASSES, state
from hub.web.manager_access import manager_required, record_view
from messages import runtime

bp = Blueprint("manager_transitions", __name__, template_folder="templates")
WEEKS = 8


@bp.get("/manager/transitions")
@manager_required
def transitions() -> str:
    try:
        weeks = int(request.args.get("weeks", WEEKS))
    except ValueError:
        abort(400, description="weeks: a whole number of weeks")
    if not 1 <= weeks <= 104:
        abort(400, description="weeks: 1 to 104")
    rt, now = runtime.current(), utcnow()
    with rt.reading() as db:
        tasks = report.recent(db, now - timedelta(weeks=weeks))
        page = render_template(
            "manager/transitions.html", tasks=tasks, weeks=report.weeks(tasks, rt.settings.tz, now),
            states=report.STATES, state=lambda t: state(t, now), classes=DISCHARGE_CLASSES,
            shown_weeks=weeks)
        patient_ids = sorted({t.patient_id for t in tasks})
    record_view("access.view_transitions", weeks=weeks, patient_ids=patient_ids)
    return page
