"""CLI: outreach plans, reminders, a patient's time zone, and outreach minutes.

    hub outreach plan --patient 12 weights                     # daily 08:00, patient's zone
    hub outreach plan --patient 12 ccm_checkin --rrule "FREQ=MONTHLY;BYMONTHDAY=2" --at 10:00
    hub outreach stop --patient 12 weights
    hub outreach timezone --patient 12 America/Chicago
    hub outreach list --patient 12
    hub outreach minutes 345 --staff nora@clinic.test 6        # a text exchange's minutes
    hub reminder add --patient 12 appointment "2027-03-14 10:30" --note "Dr. Patel"
    hub reminder cancel 346

Every change is written to the contact log; list is logged as a view of the patient's data.
"""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from hub import contact_log, outreach, outreach_time
from hub.cli.patient_option import GivenPatient, actor, patient_option
from hub.models import Outreach, OutreachPlan, Staff, utcnow
from hub.outreach_clock import BadSchedule, parse_local, zone
from messages import runtime


def _clock() -> outreach.Clock:
    settings = runtime.current().settings
    return outreach.Clock(settings.tz, settings.quiet_hours)


@click.group("outreach")
def outreach_group() -> None:
    """Texts and calls the hub starts: the care plan's check-ins and daily weights."""


@outreach_group.command("plan")
@patient_option()
@click.argument("kind", type=click.Choice(list(outreach.PLAN_KINDS)))
@click.option("--rrule", help="RFC 5545 RRULE (default: the kind's usual one)")
@click.option("--at", "at", help="local time HH:MM (default: the kind's usual one)")
@click.option("--starts", help="first local day YYYY-MM-DD (default: today)")
@click.option("--channel", type=click.Choice(["sms", "call"]), default="sms")
@with_appcontext
def plan_command(given: GivenPatient, kind: str, rrule: str | None, at: str | None,
                 starts: str | None, channel: str) -> None:
    """Set the patient's outreach plan of KIND (weights, ccm_checkin, discharge_checkin)."""
    now = utcnow()
    clock = _clock()
    with runtime.current().session() as session:
        patient = given.find(session)
        try:
            plan = outreach.set_plan(session, patient, kind, clock, now, actor(), rule=rrule,
                                     at=at, starts=starts, channel=channel)
        except BadSchedule as exc:
            raise click.BadParameter(str(exc)) from None
        tz = clock.tz(patient)
        when = (f"next {plan.next_at.astimezone(tz):%Y-%m-%d %H:%M %Z}" if plan.next_at
                else "no occurrence left")
    click.echo(f"{kind} by {channel}: {plan.rrule} from {plan.starts_local}; {when}")


@outreach_group.command("stop")
@patient_option()
@click.argument("kind", type=click.Choice(list(outreach.PLAN_KINDS)))
@with_appcontext
def stop_command(given: GivenPatient, kind: str) -> None:
    """End the patient's plan of KIND (what it scheduled is cancelled)."""
    with runtime.current().session() as session:
        if not outreach.stop_plan(session, given.find(session), kind, utcnow(), actor()):
            raise click.BadParameter(f"the patient has no active {kind} plan",
                                     param_hint="KIND")
    click.echo(f"{kind} stopped")


@outreach_group.command("timezone")
@patient_option()
@click.argument("name")
@with_appcontext
def timezone_command(given: GivenPatient, name: str) -> None:
    """Set the patient's time zone (IANA NAME; "practice" for the practice's)."""
    clock = _clock()
    with runtime.current().session() as session:
        patient = given.find(session)
        chosen = None if name == "practice" else name
        try:
            zone(chosen, clock.default_tz)
        except BadSchedule as exc:
            raise click.BadParameter(str(exc), param_hint="NAME") from None
        patient.time_zone = chosen
        contact_log.append(session, "patient.time_zone_set", actor=actor(),
                           detail={"patient_id": patient.id, "time_zone": chosen})
    click.echo(f"time zone: {chosen or 'the practice' + chr(39) + 's'}")


@outreach_group.command("list")
@patient_option()
@with_appcontext
def list_command(given: GivenPatient) -> None:
    """The patient's plans and the last 20 outreaches (the view is logged)."""
    clock = _clock()
    with runtime.current().session() as session:
        patient = given.find(session)
        tz = clock.tz(patient)
        lines = [f"plan {p.kind} by {p.channel}: {p.rrule} from {p.starts_local}, "
                 + (f"next {p.next_at.astimezone(tz):%Y-%m-%d %H:%M %Z}" if p.next_at
                    else "ended")
                 for p in session.scalars(select(OutreachPlan).where(
                     OutreachPlan.patient_id == patient.id, OutreachPlan.active.is_(True)))]
        lines += [f"#{o.id} {o.kind} by {o.channel}: {o.status}"
                  + (f" ({o.reason})" if o.reason else "")
                  + f", due {o.due_at.astimezone(tz):%Y-%m-%d %H:%M %Z}"
                  for o in session.scalars(select(Outreach).where(
                      Outreach.patient_id == patient.id)
                      .order_by(Outreach.due_at.desc()).limit(20))]
        contact_log.append(session, "access.view_outreach", actor=actor(), detail={
            "patient_id": patient.id, "shown": "outreach", "lines": len(lines)})
    for line in lines or ["no outreach for this patient"]:
        click.echo(line)


@outreach_group.command("minutes")
@click.argument("outreach_id", type=int)
@click.argument("minutes", type=click.IntRange(1, 240))
@click.option("--staff", "email", required=True, help="who spent the time (e-mail)")
@with_appcontext
def minutes_command(outreach_id: int, minutes: int, email: str) -> None:
    """Count MINUTES of a text exchange of outreach OUTREACH_ID as care time."""
    with runtime.current().session() as session:
        row = session.get(Outreach, outreach_id)
        if row is None:
            raise click.BadParameter(f"no outreach {outreach_id}", param_hint="OUTREACH_ID")
        staff = session.scalar(select(Staff).where(Staff.email == email.strip().lower()))
        if staff is None:
            raise click.BadParameter(f"no staff member {email!r}", param_hint="'--staff'")
        outreach_time.add_text_minutes(session, row, staff, minutes, utcnow(), actor())
    click.echo(f"{minutes} min counted for outreach {outreach_id}")


@click.group("reminder")
def reminder_group() -> None:
    """Appointment and refill reminders, at the patient's local time, outside quiet hours."""


@reminder_group.command("add")
@patient_option()
@click.argument("kind", type=click.Choice(list(outreach.REMINDER_KINDS)))
@click.argument("when")
@click.option("--note", help="a few words for the text (a place, a doctor): nothing clinical")
@with_appcontext
def add_command(given: GivenPatient, kind: str, when: str, note: str | None) -> None:
    """A reminder of KIND at WHEN, the patient's local time ("2027-03-14 10:30")."""
    clock = _clock()
    with runtime.current().session() as session:
        patient = given.find(session)
        try:
            row = outreach.add_reminder(session, patient, kind, parse_local(when), clock,
                                        utcnow(), actor(), note=note)
        except BadSchedule as exc:
            raise click.BadParameter(str(exc), param_hint="WHEN") from None
        tz = clock.tz(patient)
        sends = row.send_at.astimezone(tz)
        moved = " (after quiet hours)" if row.send_at != row.due_at else ""
        reminder_id = row.id
    click.echo(f"reminder {reminder_id}: {kind}, sent {sends:%Y-%m-%d %H:%M %Z}{moved}")


@reminder_group.command("cancel")
@click.argument("reminder_id", type=int)
@with_appcontext
def cancel_command(reminder_id: int) -> None:
    """Cancel reminder REMINDER_ID if it has not gone out."""
    with runtime.current().session() as session:
        row = session.get(Outreach, reminder_id)
        if row is None or row.kind not in outreach.REMINDER_KINDS:
            raise click.BadParameter(f"no reminder {reminder_id}", param_hint="REMINDER_ID")
        if row.status != "scheduled":
            raise click.BadParameter(f"reminder {reminder_id} is already {row.status}",
                                     param_hint="REMINDER_ID")
        row.status, row.reason = "cancelled", "cancelled"
        contact_log.append(session, "outreach.cancelled", actor=actor(), detail={
            "outreach_id": row.id, "patient_id": row.patient_id})
    click.echo(f"reminder {reminder_id} cancelled")
