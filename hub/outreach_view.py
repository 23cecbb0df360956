"""A patient's outreach as the care plan page shows it: the plans (what, how, when next, in
the patient's zone) and the last outreaches with what became of each."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub import care_plan_sheet
from hub.care_plan_sheet import Line, Section, Sheet
from hub.models import Outreach, OutreachPlan, Patient
from hub.outreach import Clock

KINDS = {"weights": "daily weight", "ccm_checkin": "monthly CCM check-in",
         "discharge_checkin": "check-in after discharge", "appointment": "appointment reminder",
         "refill": "refill reminder", "checkin": "check-in text", "call": "outreach call"}


def section(session: Session, patient: Patient, clock: Clock, recent: int = 8) -> Section:
    """The "Outreach" section: active plans, then the most recent outreaches."""
    tz = clock.tz(patient)
    lines = [Line((f"Plan: {KINDS.get(p.kind, p.kind)} by {p.channel} ({p.rrule} from "
                   f"{p.starts_local.replace('T', ' ')}), next "
                   + (f"{p.next_at.astimezone(tz):%a %Y-%m-%d %H:%M %Z}" if p.next_at
                      else "none: ended"),))
             for p in session.scalars(select(OutreachPlan).where(
                 OutreachPlan.patient_id == patient.id, OutreachPlan.active.is_(True))
                 .order_by(OutreachPlan.kind))]
    for o in session.scalars(select(Outreach).where(Outreach.patient_id == patient.id)
                             .order_by(Outreach.due_at.desc(), Outreach.id.desc())
                             .limit(recent)):
        state = o.status + (f" ({o.reason})" if o.reason else "")
        lines.append(Line((f"{o.send_at.astimezone(tz):%a %Y-%m-%d %H:%M %Z}: "
                           f"{KINDS.get(o.kind, o.kind)} by {o.channel}, {state}",),
                          "muted" if o.status in ("skipped", "cancelled") else ""))
    zone = patient.time_zone or f"{clock.default_tz.key} (the practice's)"
    return Section("Outreach", lines, note=f"Times in the patient's zone: {zone}.",
                   empty="No outreach plan (hub outreach plan) and nothing sent yet.")


def care_plan(session: Session, patient: Patient, clock: Clock) -> Sheet:
    """The care plan sheet (page and ``hub care-plan show`` alike) with its Outreach section."""
    sheet = care_plan_sheet.build(session, patient, clock.default_tz)
    sheet.sections.append(section(session, patient, clock))
    return sheet
