"""The staff pages: login, the on-call inbox, a contact beside the chart, the care plan, and
the actions on a contact (acknowledge, resolve, call back, care time)."""

from __future__ import annotations

import functools
import json
import secrets
from collections.abc import Callable
from typing import Any

from flask import (
    Blueprint,
    abort,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession  # "session" is Flask's here
from werkzeug.security import check_password_hash

from hub import care_plan_sheet, care_time, contact_log, opt_outs, patient_chart
from hub.contacts import OPEN
from hub.models import (
    CarePlan,
    Condition,
    Contact,
    Patient,
    PlanRule,
    Staff,
    utcnow,
)
from messages import callback_call, kick, runtime
from routing import lifecycle

bp = Blueprint("staff", __name__, template_folder="templates")


def _csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(24)
    return str(session["csrf"])


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if "staff_id" not in session:
            return redirect(url_for("staff.login", next=request.path))
        if request.method == "POST" and request.form.get("csrf") != session.get("csrf"):
            abort(400, description="the form's CSRF token is missing or stale")
        return view(*args, **kwargs)

    return wrapped


@bp.route("/staff/login", methods=["GET", "POST"])
def login() -> Any:
    error = None
    if request.method == "POST":
        email = request.form.get("email", "").strip().lower()
        with runtime.current().session() as db:
            staff = db.scalar(select(Staff).where(Staff.email == email, Staff.active.is_(True)))
            ok = staff is not None and staff.password_hash and check_password_hash(
                staff.password_hash, request.form.get("password", ""))
            if ok and staff is not None:
                session.clear()
                session["staff_id"] = staff.id
                contact_log.append(db, "access.login", actor=f"staff:{staff.id}")
                target = request.args.get("next", "")
                return redirect(target if target.startswith("/staff") else url_for("staff.inbox"))
        error = "Unknown email or wrong password."
    return render_template("login.html", error=error), 401 if error else 200


@bp.post("/staff/logout")
def logout() -> Any:
    session.clear()
    return redirect(url_for("staff.login"))


@bp.get("/staff")
@login_required
def inbox() -> str:
    with runtime.current().session() as db:
        contacts = list(db.scalars(
            select(Contact).where(Contact.status.in_(OPEN))
            .order_by(Contact.received_at.desc()).limit(200)))
        return render_template("inbox.html", contacts=contacts)


@bp.get("/staff/c/<ref>")
@login_required
def contact_page(ref: str) -> str:
    """One contact with the patient's care plan and chart beside it; every view is audited."""
    staff_id = session["staff_id"]
    with runtime.current().session() as db:
        contact = db.scalar(select(Contact).where(Contact.ref == ref))
        if contact is None:
            abort(404, description="no contact with that reference")
        plans: list[CarePlan] = []
        conditions: list[Condition] = []
        rules: list[PlanRule] = []
        chart: patient_chart.Chart | None = None
        if contact.patient_id is not None:
            chart = patient_chart.load(db, contact.patient_id)
            rules = list(db.scalars(select(PlanRule).where(
                PlanRule.patient_id == contact.patient_id).order_by(PlanRule.code)))
            plans = list(db.scalars(select(CarePlan).where(
                CarePlan.patient_id == contact.patient_id)))
            conditions = list(db.scalars(select(Condition).where(
                Condition.patient_id == contact.patient_id)))
        opted_out = opt_outs.for_patient(db, contact.patient_id) if contact.patient_id else []
        sender_opted_out = bool(contact.from_index and opt_outs.opted_out(
            db, [contact.from_index]))
        contact_log.append(db, "access.view_contact", contact_id=contact.id,
                           actor=f"staff:{staff_id}", detail={"patient_id": contact.patient_id})
        return render_template("contact.html", contact=contact, plans=plans,
                               conditions=conditions, rules=rules, chart=chart,
                               opted_out=opted_out, sender_opted_out=sender_opted_out,
                               care_time=care_time.for_contact(db, contact.id),
                               sources=care_time.SOURCES,
                               typed_sources=care_time.TYPED_SOURCES,
                               triage=json.loads(contact.triage or "{}"), csrf=_csrf_token())


@bp.get("/staff/p/<ref>/care-plan")
@login_required
def care_plan_page(ref: str) -> str:
    """A patient's whole care plan beside their recent contacts, printable; audited."""
    with runtime.current().session() as db:
        patient = db.scalar(select(Patient).where(Patient.ref == ref))
        if patient is None:
            abort(404, description="no patient with that reference")
        # what `hub care-plan show` prints too
        sheet = care_plan_sheet.build(db, patient, runtime.current().settings.tz)
        contact_log.append(db, "access.view_care_plan", actor=f"staff:{session['staff_id']}",
                           detail={"patient_id": patient.id})
        return render_template("care_plan.html", sheet=sheet)


@bp.post("/staff/c/<ref>/<action>")
@login_required
def contact_action(ref: str, action: str) -> Any:
    if action not in ("ack", "resolve", "time", "call"):
        abort(404, description="unknown action")
    minutes, source = _care_time_form() if action in ("resolve", "time") else (None, "callback")
    if action == "time" and minutes is None:
        abort(400, description="minutes: give the minutes spent (1 to 240)")
    with runtime.current().session() as db:
        contact = db.scalar(select(Contact).where(Contact.ref == ref))
        staff = db.get(Staff, session["staff_id"])
        if contact is None or staff is None:
            abort(404, description="no contact with that reference")
        now = utcnow()
        if action == "call":
            _call_back(db, contact, staff)
        elif action == "ack":
            lifecycle.acknowledge(db, contact, staff, now, via="web",
                                  policy=runtime.current().policy)
        elif action == "time" or lifecycle.resolve(
                db, contact, staff, now, via="web",
                disposition=request.form.get("disposition") or None):
            if minutes is not None and care_time.add_for_contact(
                    db, contact, staff, minutes * 60, source, now) is None:
                abort(409, description="care time needs the contact filed under one patient")
    if action == "call":
        kick.work_soon(runtime.current())
    return redirect(url_for("staff.contact_page", ref=ref))


def _call_back(db: DbSession, contact: Contact, staff: Staff) -> None:
    """Ring the staff member and connect them to the sender from the practice number."""
    rt = runtime.current()
    line = callback_call.Line(rt.settings.practice_number, rt.settings.public_url)
    try:
        callback_call.start(db, contact, staff, line, utcnow(), rt.policy)
    except callback_call.CannotCall as exc:
        abort(409, description=f"cannot call back: {exc}")


def _care_time_form() -> tuple[int | None, str]:
    """The minutes and source of a resolve or care-time form, or a 400 naming the field."""
    try:
        minutes = care_time.parse_minutes(request.form.get("minutes"))
    except care_time.BadMinutes as exc:
        abort(400, description=f"minutes: {exc}")
    source = request.form.get("source") or "callback"
    if source not in care_time.TYPED_SOURCES:
        abort(400, description="source: not one of " + ", ".join(care_time.TYPED_SOURCES))
    return minutes, source
