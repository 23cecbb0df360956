"""``hub oncall`` and ``hub coverage``: the practice manager's view of who is on call.

``hub oncall`` says who holds each on-call layer at a local time and, for one patient, whom the
escalation policy would page and why (read back from :mod:`routing.oncall`, never re-decided).
``hub coverage`` looks for gaps in the coming days (:mod:`routing.coverage`): no primary on
call, or someone on call who cannot be paged. Names appear only on the manager's terminal;
the log gets counts, and ``--patient`` is logged as a view of that patient (id only).
"""

from __future__ import annotations

import getpass
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import click
from flask.cli import with_appcontext
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub import contact_log
from hub.cli.patient_option import GivenPatient, actor, patient_option
from hub.cli.times import local, resolve_wall_time, wall_option
from hub.models import Contact, Patient, Staff, utcnow
from messages import runtime
from routing.coverage import KINDS, Expansion, find_gaps, short_expansions
from routing.oncall import Pick, picks_for
from routing.policy import Policy
from routing.roster import OnCall
from routing.schedule_store import roster_at

LAYERS = ("primary", "backup")


# --- hub oncall --------------------------------------------------------------------------------

def basis(span: OnCall, names: Mapping[int, str], tz: ZoneInfo) -> str:
    """On what grounds a span holds its layer: the rotation and its hand-off, the override or
    swap, as the manager reads it ("" for a calendar shift, which says nothing more)."""
    parts = []
    if span.rotation is not None and span.turn_start is not None:
        parts.append(f"rotation {span.rotation}, hand-off {local(span.turn_start, tz)}")
    if span.kind == "add":
        parts.append(f"added by override #{span.override}")
    elif span.kind == "swap":
        parts.append(f"swapped with {names.get(span.covers or 0, '?')} (swap #{span.override})")
    elif span.kind == "replace":
        parts.append(f"covering {names.get(span.covers or 0, '?')} "
                     f"(override #{span.override})")
    return "; ".join(parts)


def _names(session: Session, spans: Iterable[OnCall]) -> dict[int, str]:
    ids = {i for s in spans for i in (s.staff_id, s.covers) if i is not None}
    if not ids:
        return {}
    return {p.id: p.name for p in session.scalars(select(Staff).where(Staff.id.in_(ids)))}


def _layers(session: Session, at: datetime, tz: ZoneInfo) -> list[str]:
    roster = roster_at(session, at)
    spans = [s for layer in roster.layers.values() for s in layer]
    names = _names(session, spans)
    people = {p.id: p for p in session.scalars(
        select(Staff).where(Staff.id.in_({s.staff_id for s in spans})))} if spans else {}
    phones = {i: bool((p.phone or "").strip()) for i, p in people.items()}
    extra = [layer for layer in sorted(roster.layers) if layer not in LAYERS]
    lines = []
    for layer in (*LAYERS, *extra):
        holders = [s for s in roster.holders(layer) if people[s.staff_id].active]
        if not holders:
            lines.append(f"  {layer:<8} nobody on call")
        for span in holders:
            why = basis(span, names, tz)
            phone = "" if phones.get(span.staff_id) else "  (no phone: cannot be paged)"
            lines.append(f"  {layer:<8} {names[span.staff_id]}, {local(span.start, tz)} to "
                         f"{local(span.end, tz)}{f'  ({why})' if why else ''}{phone}")
    return lines


def _reason(pick: Pick, names: Mapping[int, str], tz: ZoneInfo) -> str:
    """Why a target names a person: until when, on what grounds (rotation, override, swap)
    and why earlier links of the continuity chain were passed over."""
    text, notes = pick.why, []
    if pick.span is not None:
        text += f" until {local(pick.span.end, tz)}"
        if why := basis(pick.span, names, tz):
            notes.append(why)
    notes.extend(pick.passed)
    return text + (f" ({'; '.join(notes)})" if notes else "")


def _escalation(session: Session, patient: Patient, policy: Policy, at: datetime,
                tz: ZoneInfo) -> list[str]:
    """Whom a routine contact from the patient arriving at ``at`` pages, and when. A routine
    text outside opening hours (when the policy holds them) waits for the opening: its steps
    are shown from then, and a call's, which never waits, from ``at``."""
    who = f"patient {patient.id} ({patient.name})"
    held = policy.held_until("routine", "sms", at)
    if held is None:
        lines = [f"A routine contact from {who} at {local(at, tz)} pages:",
                 *_steps(session, patient, policy, at, tz)]
    else:
        lines = [f"A routine text from {who} at {local(at, tz)} waits for the opening, "
                 f"{local(held, tz)} (the patient is told when to expect an answer), then pages:",
                 *_steps(session, patient, policy, held, tz),
                 f"A routine call from {who} at {local(at, tz)} pages at once:",
                 *_steps(session, patient, policy, at, tz)]
    return [*lines, "  (urgent contacts follow the policy's urgent steps)"]


def _steps(session: Session, patient: Patient, policy: Policy, start: datetime,
           tz: ZoneInfo) -> list[str]:
    """Each step of the policy's first pass from ``start``: when it fires if nobody
    acknowledges, whom it pages and why. Targets are resolved at that step's time, and a step
    with nobody reachable is skipped at once, as the engine does."""
    contact = Contact(patient=patient, urgency="routine")  # never added to the session
    lines = []
    when = start
    for number, step in enumerate(policy.steps, start=1):
        unless = "" if number == 1 else " if nobody has acknowledged"
        lines.append(f"  step {number}, {local(when, tz)}{unless}: "
                     f"{', '.join(step.targets)} by {' and '.join(step.channels)}")
        roster = roster_at(session, when)
        people: dict[int, Pick] = {}
        for target in step.targets:
            for pick in picks_for(session, target, contact, roster):
                people.setdefault(pick.staff.id, pick)
        names = _names(session, [p.span for p in people.values() if p.span is not None])
        reachable = 0
        for pick in people.values():
            has_phone = bool((pick.staff.phone or "").strip())
            reachable += has_phone
            lines.append(f"    {pick.staff.name}: {_reason(pick, names, tz)}"
                         + ("" if has_phone else "  (no phone: cannot be paged)"))
        if not reachable:
            lines.append("    nobody reachable: the step is skipped"
                         + ("; the next one is paged at once" if number < len(policy.steps)
                            else ""))
            continue
        when += step.wait
    if policy.repeat:
        lines.append(f"  then the {len(policy.steps)} steps again, {policy.repeat} more "
                     "time(s)")
    every = round(policy.last_resort.every.total_seconds() / 60)
    fallback = " and the fallback number" if policy.last_resort.number else \
        " (no HUB_FALLBACK_NUMBER to call)"
    lines.append(f"  then, every {every} min until someone acknowledges: the managers by SMS "
                 f"and call{fallback}")
    return lines


@click.command("oncall")
@click.option("--at", "wall", callback=wall_option, metavar="'YYYY-MM-DD HH:MM'",
              help="Local time in HUB_TIMEZONE (default: now).")
@patient_option(required=False, help="whom a contact from this patient (hub id or "
                                     "Patient/<FHIR id>) would page, and why")
@with_appcontext
def oncall_command(wall: datetime | None, given: GivenPatient | None) -> None:
    """Who is on call at a time, layer by layer; with --patient, whom the escalation pages."""
    rt = runtime.current()
    tz = rt.settings.tz
    at, note = (utcnow(), None) if wall is None else resolve_wall_time(wall, tz)
    # Without --patient nothing is written (staff only: the read ends in a rollback); with
    # it, the patient's name and care team are shown, so the view is logged first.
    with rt.sessions() as session:
        patient = None if given is None else given.find(session)
        lines = [note] if note else []
        lines.append(f"On call at {at.astimezone(tz):%Y-%m-%d %H:%M %Z} ({tz.key}):")
        lines += _layers(session, at, tz)
        if patient is not None:
            lines.append("")
            lines += _escalation(session, patient, rt.policy.for_urgency("routine"), at, tz)
            contact_log.append(session, "access.view_escalation", actor=actor(),
                               detail={"patient_id": patient.id, "shown": "escalation",
                                       "at": at.isoformat()})
            session.commit()
    for line in lines:
        click.echo(line)


# --- hub coverage ------------------------------------------------------------------------------

def _window_start(now: datetime, tz: ZoneInfo) -> datetime:
    """The start of the current practice-time hour (computed in UTC: safe on DST nights)."""
    wall = now.astimezone(tz)
    return now.astimezone(UTC) - timedelta(minutes=wall.minute, seconds=wall.second,
                                           microseconds=wall.microsecond)


@click.command("coverage")
@click.option("--days", default=14, show_default=True, type=click.IntRange(1, 366),
              help="How many days ahead to check.")
@with_appcontext
def coverage_command(days: int) -> None:
    """Check the next DAYS for on-call gaps; exit 1 when there is any. The check is logged."""
    rt = runtime.current()
    tz = rt.settings.tz
    start = _window_start(utcnow(), tz)
    end = start + timedelta(days=days)
    with rt.session() as session:
        gaps, checked = find_gaps(session, start, end)
        expansions = short_expansions(session, end)
        counts = {kind: sum(1 for g in gaps if g.kind == kind) for kind in KINDS}
        contact_log.append(session, "coverage.checked", actor=f"cli:{getpass.getuser()}",
                           detail={"days": days, "from": start.isoformat(),
                                   "until": end.isoformat(), "shifts": checked,
                                   "gaps": len(gaps), **counts})
        lines = [f"{local(g.start, tz)} to {local(g.end, tz)}: {g.what}"
                 + _past_expansion(g.end, expansions) for g in gaps]
    window = f"{local(start, tz)} to {local(end, tz)} ({tz.key}, {days} day(s))"
    notes = [f"note: calendar {e.calendar} was expanded into shifts only {e.days} day(s) ahead "
             f"of its import, until {local(e.until, tz)}; its later events are not in the hub, "
             "so a gap after that may be the end of the expansion: re-import it (hub "
             "import-schedule --days, up to 366)" for e in expansions]
    if not gaps:
        click.echo(f"covered: {window}: a primary on call throughout, everyone on call active "
                   f"with a working phone ({checked} shift(s) checked)")
    else:
        click.echo(f"{len(gaps)} gap(s) in on-call coverage, {window}:")
    for line in [*(f"  {line}" for line in lines), *notes]:
        click.echo(line)
    if gaps:
        raise click.exceptions.Exit(1)


def _past_expansion(gap_end: datetime, expansions: Iterable[Expansion]) -> str:
    """What a gap's line adds when the gap runs past where a calendar was expanded."""
    names = [e.calendar for e in expansions if gap_end > e.until]
    if len(names) > 1:
        return f" (past where calendars {', '.join(names)} were expanded)"
    return f" (past where calendar {names[0]} was expanded)" if names else ""
