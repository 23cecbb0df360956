"""The care manager's outreach from a patient's care plan page: "Text a check-in" (the
patient's language, outside quiet hours) and "Call" (her phone rings, then the patient's,
from the practice number; the call's length counts as care time). Both are rows the engine
sends, paced behind the pages, never sent from the request."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from hub import outreach
from hub.models import Patient, Staff, utcnow
from hub.web.staff import access
from messages import runtime

bp = Blueprint("staff_outreach", __name__)


def clock() -> outreach.Clock:
    settings = runtime.current().settings
    return outreach.Clock(settings.tz, settings.quiet_hours)


@bp.post("/staff/p/<ref>/outreach/<action>")
@login_required
def start(ref: str, action: str) -> Any:
    if action not in ("checkin", "call"):
        abort(404, description="unknown outreach: checkin or call")
    with runtime.current().session() as db:
        patient = db.scalar(select(Patient).where(Patient.ref == ref))
        staff = db.get(Staff, current_user.id)
        if patient is None or staff is None:
            abort(404, description="no patient with that reference")
        if access(db, patient) is None:
            abort(403, description="not your patient: open the care plan to break the glass")
        if action == "call" and not staff.phone:
            abort(409, description="your staff record has no phone number to ring")
        now = utcnow()
        # The page's Outreach section shows it, with when it leaves (after quiet hours).
        outreach.add(db, patient, action, now, clock(), now, f"staff:{staff.id}",
                     staff=staff, channel="call" if action == "call" else "sms")
    return redirect(url_for("staff.care_plan_page", ref=ref))
