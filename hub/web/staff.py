"""The staff pages: the inbox, a contact beside the patient's chart, the care plan, and
breaking the glass to open a patient who is not one's own. Every view of a patient's data
is written to the access audit; a view through break-glass is marked there and on the page.
"""

from __future__ import annotations

import json
import time
from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession  # "session" is Flask's here

from hub import (
    attachments,
    care_time,
    contact_log,
    media_fetches,
    opt_outs,
    outreach_view,
    patient_chart,
    staff_access,
    transitions,
    triage_feedback,
)
from hub.models import CarePlan, Condition, Contact, Patient, PlanRule, PortalReply, utcnow
from hub.outreach import Clock
from messages import runtime

bp = Blueprint("staff", __name__, template_folder="templates")

MIN_REASON = 10  # characters: a reason a reviewer can read, not "x"


def glass_granted(patient_ref: str) -> bool:
    """True when this session broke the glass for this patient (until it ends)."""
    return patient_ref in session.get("glass", {})


def access(db: DbSession, patient: Patient | None, contact: Contact | None = None) -> str | None:
    """"own" when the signed-in staff member may see this, "glass" when only through a
    break-glass of this session, else None."""
    uid, role = current_user.id, current_user.role
    if contact is not None and staff_access.may_see_contact(db, uid, role, contact):
        return "own"
    if patient is not None and contact is None and staff_access.may_see_patient(
            db, uid, role, patient.id):
        return "own"
    if patient is not None and patient.ref and glass_granted(patient.ref):
        return "glass"
    return None


def forbidden(patient: Patient | None, back: str) -> Any:
    """403: not this staff member's patient; the page offers to break the glass."""
    return render_template("forbidden.html", patient=patient, back=back,
                           min_reason=MIN_REASON), 403


@bp.get("/staff")
@login_required
def inbox() -> str:
    with runtime.current().session() as db:
        everyone = current_user.role in staff_access.SEES_EVERYONE
        contacts = list(db.scalars(staff_access.inbox(current_user.id, current_user.role)))
        tasks = list(db.scalars(transitions.for_staff(current_user.id, everyone)))
        return render_template("inbox.html", contacts=contacts, everyone=everyone,
                               transitions=tasks, now=utcnow())


@bp.get("/staff/c/<ref>")
@login_required
def contact_page(ref: str) -> Any:
    """One contact with the patient's care plan and chart beside it; every view is audited."""
    with runtime.current().session() as db:
        contact = db.scalar(select(Contact).where(Contact.ref == ref))
        if contact is None:
            abort(404, description="no contact with that reference")
        how = access(db, contact.patient, contact)
        if how is None:
            return forbidden(contact.patient, request.path)
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
        answers = list(db.scalars(select(PortalReply).where(
            PortalReply.contact_id == contact.id).order_by(PortalReply.id)))
        contact_log.append(db, "access.view_contact", contact_id=contact.id,
                           actor=f"staff:{current_user.id}", detail=_audited(
                               {"patient_id": contact.patient_id}, how))
        return render_template("contact.html", contact=contact, plans=plans,
                               conditions=conditions, rules=rules, chart=chart,
                               opted_out=opted_out, sender_opted_out=sender_opted_out,
                               care_time=care_time.for_contact(db, contact.id),
                               sources=care_time.SOURCES,
                               typed_sources=care_time.TYPED_SOURCES,
                               triage=json.loads(contact.triage or "{}"), glass=how == "glass",
                               portal_answers=answers,
                               files=attachments.attachments_for(db, contact.id),
                               not_shown=media_fetches.not_shown(db, contact.id),
                               inline_types=attachments.SHOWN_INLINE,
                               transition=transitions.for_contact(db, contact.id),
                               feedback=triage_feedback.for_contact(db, contact.id),
                               verdicts=triage_feedback.VERDICTS)


@bp.get("/staff/p/<ref>/care-plan")
@login_required
def care_plan_page(ref: str) -> Any:
    """A patient's whole care plan beside their recent contacts, printable; audited."""
    with runtime.current().session() as db:
        patient = db.scalar(select(Patient).where(Patient.ref == ref))
        if patient is None:
            abort(404, description="no patient with that reference")
        how = access(db, patient)
        if how is None:
            return forbidden(patient, request.path)
        # what `hub care-plan show` prints too
        settings = runtime.current().settings
        sheet = outreach_view.care_plan(db, patient, Clock(settings.tz, settings.quiet_hours))
        contact_log.append(db, "access.view_care_plan", actor=f"staff:{current_user.id}",
                           detail=_audited({"patient_id": patient.id}, how))
        return render_template("care_plan.html", sheet=sheet, glass=how == "glass")


@bp.post("/staff/p/<ref>/break-glass")
@login_required
def break_glass(ref: str) -> Any:
    """Open a patient who is not one's own, for a stated reason (audited, shown to managers)."""
    reason = " ".join(request.form.get("reason", "").split())
    back = request.form.get("back", "")
    with runtime.current().session() as db:
        patient = db.scalar(select(Patient).where(Patient.ref == ref))
        if patient is None:
            abort(404, description="no patient with that reference")
        if len(reason) < MIN_REASON:
            return render_template("forbidden.html", patient=patient, back=back,
                                   min_reason=MIN_REASON,
                                   error=f"Give the reason in at least {MIN_REASON} "
                                   "characters."), 400
        contact_log.append(db, "access.break_glass", actor=f"staff:{current_user.id}",
                           detail={"patient_id": patient.id, "reason": reason,
                                   "from": request.remote_addr})
    session["glass"] = {**session.get("glass", {}), ref: int(time.time())}
    safe = back.startswith("/staff/") and not back.startswith("//")
    return redirect(back if safe else url_for("staff.care_plan_page", ref=ref))


def _audited(detail: dict[str, Any], how: str) -> dict[str, Any]:
    return {**detail, "break_glass": True} if how == "glass" else detail
