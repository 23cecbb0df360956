"""Outreach: plans (the care plan's recurring check-ins and daily weights), reminders
(appointments, refills) and a care manager's "text a check-in" / "call", written as rows and
turned into outbound texts and calls by the engine's tick.

Each tick (any process; rows claimed with SKIP LOCKED on PostgreSQL, the write lock on SQLite):
a due plan writes its occurrence (unique by plan and time: written once) and moves on to the
next one; a due outreach is checked against quiet hours (moved to their end) and the number's
STOP (skipped, logged), then queued as an ``outreach`` outbound row that the dispatcher sends
paced (:mod:`messages.paced_send`), behind every page. A patient's text back is linked to the
outreach it answers (:func:`link_replies`) and is a contact like any other.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, selectinload, sessionmaker

from hub import contact_log, opt_outs
from hub.db import id_in
from hub.models import Contact, Outbound, Outreach, OutreachPlan, Patient, PatientPhone, Staff
from hub.outreach_clock import (
    BadSchedule,
    QuietHours,
    after_quiet_hours,
    check_rrule,
    next_occurrence,
    to_utc,
    zone,
)

# The care plan's kinds, each with its usual rule and local time.
PLAN_KINDS = {"weights": ("FREQ=DAILY", "08:00"),
              "ccm_checkin": ("FREQ=MONTHLY;BYMONTHDAY=1", "10:00"),
              "discharge_checkin": ("FREQ=DAILY;COUNT=2", "10:00")}
REMINDER_KINDS = ("appointment", "refill")
MANUAL_KINDS = ("checkin", "call")
REPLY_WINDOW = timedelta(hours=24)  # a text back within this is the outreach's answer


class Wording(Protocol):
    """What the edge says (:mod:`messages.outreach_texts`): the core never words a text."""

    def sms(self, kind: str, language: str, when: datetime | None, note: str | None) -> str:
        """The text to the patient (``when``: a reminder's local time)."""
        ...

    def voice(self, kind: str, language: str) -> str:
        """TwiML spoken to the patient by a scheduled call."""
        ...

    def bridge(self, patient_number: str) -> str:
        """TwiML on the care manager's phone that connects them to the patient."""
        ...


@dataclass(frozen=True)
class Clock:
    """The practice's zone (for patients without their own) and the quiet hours."""

    default_tz: ZoneInfo
    quiet: QuietHours | None

    def tz(self, patient: Patient) -> ZoneInfo:
        return zone(patient.time_zone, self.default_tz)


def set_plan(session: Session, patient: Patient, kind: str, clock: Clock, now: datetime,
             actor: str, rule: str | None = None, at: str | None = None,
             starts: str | None = None, channel: str = "sms") -> OutreachPlan:
    """Create or replace the patient's plan of this kind (logged); BadSchedule if unusable.

    ``at`` is the local time (08:00), ``starts`` the first local day (today by default)."""
    if kind not in PLAN_KINDS:
        raise BadSchedule(f"kind must be one of {', '.join(PLAN_KINDS)}")
    if channel not in ("sms", "call"):
        raise BadSchedule("channel must be sms or call")
    usual_rule, usual_at = PLAN_KINDS[kind]
    tz = clock.tz(patient)
    try:
        hour = datetime.strptime(at or usual_at, "%H:%M").time()
        day = (datetime.strptime(starts, "%Y-%m-%d").date() if starts
               else now.astimezone(tz).date())
    except ValueError:
        raise BadSchedule("give --at as HH:MM and --starts as YYYY-MM-DD") from None
    starts_local = datetime.combine(day, hour)
    rule = (rule or usual_rule).strip().removeprefix("RRULE:")
    check_rrule(rule, starts_local)
    first = next_occurrence(rule, starts_local.isoformat(timespec="minutes"), tz,
                            now - timedelta(seconds=1))
    plan = session.scalar(select(OutreachPlan).where(OutreachPlan.patient_id == patient.id,
                                                     OutreachPlan.kind == kind))
    if plan is None:
        plan = OutreachPlan(patient_id=patient.id, kind=kind, created_at=now, version=0)
        session.add(plan)
    plan.channel, plan.rrule = channel, rule
    plan.starts_local = starts_local.isoformat(timespec="minutes")
    plan.next_at, plan.active, plan.created_by = first, True, actor
    plan.version = (plan.version or 0) + 1
    session.flush()
    contact_log.append(session, "outreach.plan_set", actor=actor, at=now, detail={
        "patient_id": patient.id, "plan_id": plan.id, "kind": kind, "channel": channel,
        "rrule": rule, "starts_local": plan.starts_local, "next_at": first})
    return plan


def stop_plan(session: Session, patient: Patient, kind: str, now: datetime,
              actor: str) -> bool:
    """End the patient's plan of this kind and cancel what it scheduled (logged)."""
    plan = session.scalar(select(OutreachPlan).where(OutreachPlan.patient_id == patient.id,
                                                     OutreachPlan.kind == kind,
                                                     OutreachPlan.active.is_(True)))
    if plan is None:
        return False
    plan.active, plan.next_at, plan.version = False, None, plan.version + 1
    session.execute(update(Outreach).where(Outreach.plan_id == plan.id,
                                           Outreach.status == "scheduled")
                    .values(status="cancelled", reason="plan stopped"))
    contact_log.append(session, "outreach.plan_stopped", actor=actor, at=now,
                       detail={"patient_id": patient.id, "plan_id": plan.id, "kind": kind})
    return True


def add(session: Session, patient: Patient, kind: str, due: datetime, clock: Clock,
        now: datetime, actor: str, note: str | None = None, staff: Staff | None = None,
        channel: str = "sms") -> Outreach:
    """One outreach due at ``due`` (UTC): a reminder, or a care manager's check-in now; its
    send time is moved past quiet hours at once (logged)."""
    send_at = after_quiet_hours(due, clock.tz(patient), clock.quiet)
    row = Outreach(patient_id=patient.id, kind=kind, channel=channel, due_at=due,
                   send_at=send_at, status="scheduled", note=note,
                   staff_id=staff.id if staff else None, created_by=actor, created_at=now,
                   version=0)
    session.add(row)
    session.flush()
    contact_log.append(session, "outreach.added", actor=actor, at=now, detail={
        "patient_id": patient.id, "outreach_id": row.id, "kind": kind, "channel": channel,
        "due_at": due, "send_at": send_at})
    return row


def add_reminder(session: Session, patient: Patient, kind: str, local: datetime,
                 clock: Clock, now: datetime, actor: str, note: str | None = None) -> Outreach:
    """A reminder at a local wall-clock time in the patient's zone; BadSchedule if past."""
    if kind not in REMINDER_KINDS:
        raise BadSchedule(f"kind must be one of {', '.join(REMINDER_KINDS)}")
    due = to_utc(local, clock.tz(patient))
    if due <= now:
        raise BadSchedule(f"{local:%Y-%m-%d %H:%M} is already past in the patient's zone")
    return add(session, patient, kind, due, clock, now, actor, note=note)


def batch_for(rate: float) -> int:
    """Rows a tick writes or queues: a few seconds of sending ahead, no more, so a batch of
    thousands is queued in short transactions between which the tick pages as ever."""
    return max(20, min(500, int(rate * 4)))


def run_due(sessions: sessionmaker[Session], wording: Wording, clock: Clock, now: datetime,
            limit: int = 1000) -> int:
    """Write due plans' occurrences, then queue due outreach; return rows handled."""
    with sessions.begin() as session:
        written = _expand_plans(session, clock, now, limit)
    with sessions.begin() as session:
        return written + _queue_due(session, wording, clock, now, limit)


def _expand_plans(session: Session, clock: Clock, now: datetime, limit: int) -> int:
    plans = list(session.scalars(
        select(OutreachPlan).where(OutreachPlan.active.is_(True),
                                   OutreachPlan.next_at <= now)
        .order_by(OutreachPlan.next_at, OutreachPlan.id).limit(limit)
        .with_for_update(skip_locked=True)))
    if not plans:
        return 0
    patients = {p.id: p for p in session.scalars(select(Patient).where(
        id_in(session, Patient.id, {plan.patient_id for plan in plans})))}
    rows = []
    for plan in plans:
        due = plan.next_at
        assert due is not None
        tz = clock.tz(patients[plan.patient_id])
        rows.append({"patient_id": plan.patient_id, "plan_id": plan.id, "kind": plan.kind,
                     "channel": plan.channel, "due_at": due,
                     "send_at": after_quiet_hours(due, tz, clock.quiet),
                     "status": "scheduled", "created_by": "plan", "created_at": now,
                     "version": 0})
        # Missed occurrences (the hub was down for days) are not sent late in a row.
        plan.next_at = next_occurrence(plan.rrule, plan.starts_local, tz, max(due, now))
        plan.version += 1
    # Unique (plan, time): a plan taken twice writes its time once.
    conn = session.connection()
    dialect_insert = postgresql_insert if conn.dialect.name == "postgresql" else sqlite_insert
    conn.execute(dialect_insert(Outreach).on_conflict_do_nothing(
        index_elements=["plan_id", "due_at"]), rows)
    return len(plans)


def _number(patient: Patient) -> PatientPhone | None:
    phones = sorted(patient.phones, key=lambda p: (p.use != "mobile", p.id))
    return phones[0] if phones else None


def _queue_due(session: Session, wording: Wording, clock: Clock, now: datetime,
               limit: int) -> int:
    due = list(session.scalars(
        select(Outreach).where(Outreach.status == "scheduled", Outreach.send_at <= now)
        .order_by(Outreach.send_at, Outreach.id).limit(limit)
        .with_for_update(skip_locked=True)))
    if not due:
        return 0
    patients = {p.id: p for p in session.scalars(
        select(Patient).where(id_in(session, Patient.id, {o.patient_id for o in due}))
        .options(selectinload(Patient.phones)))}
    numbers = {pid: _number(p) for pid, p in patients.items()}
    stopped = opt_outs.opted_out(session, [n.phone_index for n in numbers.values() if n])
    staff = {s.id: s for s in session.scalars(select(Staff).where(
        id_in(session, Staff.id, {o.staff_id for o in due if o.staff_id})))}
    queued: list[tuple[Outreach, Outbound]] = []
    for row in due:
        patient, number = patients[row.patient_id], numbers[row.patient_id]
        tz = clock.tz(patient)
        later = after_quiet_hours(now, tz, clock.quiet)
        if later > now:  # the engine was late, or a care manager's text at night
            row.send_at = later
            continue
        reason = _why_not(row, number, stopped, staff)
        if reason is not None:
            row.status, row.reason = "skipped", reason
            contact_log.append(session, "outreach.skipped", at=now, detail={
                "outreach_id": row.id, "patient_id": row.patient_id, "kind": row.kind,
                "reason": reason})
            continue
        assert number is not None
        queued.append((row, _outbound(row, patient, number, staff, wording, tz, now)))
    session.add_all([outbound for _row, outbound in queued])
    session.flush()
    for row, outbound in queued:
        row.status, row.outbound_id = "queued", outbound.id
    if queued:
        contact_log.append(session, "outreach.queued", at=now, detail={
            "count": len(queued), "outreach_ids": [row.id for row, _ in queued][:50]})
    return len(due)


def _why_not(row: Outreach, number: PatientPhone | None, stopped: set[str],
             staff: dict[int, Staff]) -> str | None:
    if number is None:
        return "no phone"
    if row.channel == "sms" and number.phone_index in stopped:
        return "opted out"  # STOP: nothing further but Twilio's own confirmation
    if row.staff_id is not None and row.channel == "call" and not (
            staff.get(row.staff_id) and staff[row.staff_id].phone):
        return "staff has no phone"
    return None


def _outbound(row: Outreach, patient: Patient, number: PatientPhone, staff: dict[int, Staff],
              wording: Wording, tz: ZoneInfo, now: datetime) -> Outbound:
    to, body, staff_id = number.phone, "", None
    if row.channel == "sms":
        when = row.due_at.astimezone(tz) if row.kind in REMINDER_KINDS else None
        body = wording.sms(row.kind, patient.language, when, row.note)
    elif row.staff_id is not None:  # a care manager's call: their phone, then the patient
        person = staff[row.staff_id]
        to, body, staff_id = person.phone or "", wording.bridge(number.phone), person.id
    else:
        body = wording.voice(row.kind, patient.language)
    return Outbound(kind="outreach", channel=row.channel, to_number=to, body=body,
                    status="pending", staff_id=staff_id, attempts=0, version=0,
                    next_attempt_at=now, created_at=now)


def link_replies(session: Session, contacts: Sequence[Contact], now: datetime) -> int:
    """Link each patient's text to the outreach it answers (the latest sent to them in the
    last day, not yet answered); logged on the contact. One query for the whole batch, not
    one per text."""
    texts = [c for c in contacts
             if c.channel == "sms" and c.patient_id is not None and c.match == "patient"]
    if not texts:
        return 0
    earliest = min(c.received_at for c in texts) - REPLY_WINDOW
    latest = max(c.received_at for c in texts)
    candidates = session.execute(
        select(Outreach.id, Outreach.patient_id, Outbound.sent_at)
        .join(Outbound, Outbound.id == Outreach.outbound_id)
        .where(id_in(session, Outreach.patient_id, {c.patient_id for c in texts}),
               Outreach.status == "queued", Outreach.channel == "sms",
               Outbound.sent_at.is_not(None), Outbound.sent_at >= earliest,
               Outbound.sent_at <= latest)).all()
    if not candidates:
        return 0
    linked, taken = 0, set()
    for contact in texts:
        fitting = [(sent_at, outreach_id) for outreach_id, patient_id, sent_at in candidates
                   if patient_id == contact.patient_id and outreach_id not in taken
                   and contact.received_at - REPLY_WINDOW <= sent_at <= contact.received_at]
        if not fitting:
            continue
        answered = session.get(Outreach, max(fitting)[1])
        if answered is None:
            continue
        taken.add(answered.id)
        answered.status, answered.reply_contact_id = "replied", contact.id
        contact_log.append(session, "outreach.replied", contact_id=contact.id, at=now,
                           detail={"outreach_id": answered.id, "kind": answered.kind})
        linked += 1
    return linked
