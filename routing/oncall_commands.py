"""``hub oncall`` and ``hub coverage``: the practice manager's view of who is on call.

``hub oncall`` says who holds each on-call layer at a local time and, for one patient, whom the
escalation policy would page and why (read back from :mod:`routing.oncall`, never re-decided).
``hub coverage`` looks for gaps in the coming days: no primary on call, or someone on call who
cannot be paged. Names appear only on the manager's terminal; the log gets counts.
"""

from __future__ import annotations

import getpass
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import click
from flask.cli import with_appcontext
from sqlalchemy import select
from sqlalchemy.orm import Session, contains_eager

from hub import contact_log, runtime
from hub.models import Contact, Patient, Shift, Staff, utcnow
from routing.oncall import on_call_shifts, on_shift_until, resolve_target, why_paged
from routing.policy import Policy

LAYERS = ("primary", "backup")
AT_FORMAT = "'YYYY-MM-DD HH:MM' (practice time), e.g. '2026-03-08 02:30'"


# --- local time ------------------------------------------------------------------------------

def local(at: datetime, tz: ZoneInfo) -> str:
    """``at`` as practice wall time; the zone's abbreviation is added when the wall time
    happens twice (the night clocks go back), so the reader knows which one."""
    wall = at.astimezone(tz)
    text = f"{wall:%Y-%m-%d %H:%M}"
    if wall.replace(fold=1 - wall.fold).utcoffset() != wall.utcoffset():
        text += f" {wall:%Z}"
    return text


def _offset(at: datetime) -> str:
    return at.isoformat()[-6:]  # "-05:00"


def resolve_wall_time(wall: datetime, tz: ZoneInfo) -> tuple[datetime, str | None]:
    """The UTC instant of a wall time given on the command line, and a note when the time
    does not exist or happens twice in ``tz`` (read with fold=0 then, as zoneinfo does)."""
    if wall.tzinfo is not None:
        return wall.astimezone(UTC), None
    first, second = wall.replace(tzinfo=tz, fold=0), wall.replace(tzinfo=tz, fold=1)
    if first.utcoffset() == second.utcoffset():
        return first.astimezone(UTC), None
    shown = f"{wall:%Y-%m-%d %H:%M}"
    real = first.astimezone(UTC).astimezone(tz)
    if real.replace(tzinfo=None) != wall:
        note = (f"note: --at {shown} does not exist in {tz.key} (the clocks skip that hour); "
                f"read with fold=0 at the offset before the change ({_offset(first)}), "
                f"which is {real:%Y-%m-%d %H:%M %Z}")
    else:
        note = (f"note: --at {shown} happens twice in {tz.key}; read with fold=0 as the first "
                f"({first:%Z}, {_offset(first)}); for the second give "
                f"--at '{shown}{_offset(second)}'")
    return first.astimezone(UTC), note


def _parse_at(ctx: click.Context, param: click.Parameter, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value.strip())
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a time like {AT_FORMAT}") from None


# --- hub oncall --------------------------------------------------------------------------------

def _layers(session: Session, at: datetime, tz: ZoneInfo) -> list[str]:
    lines = []
    for layer in LAYERS:
        shifts = on_call_shifts(session, layer, at)
        if not shifts:
            lines.append(f"  {layer:<8} nobody on call")
        for shift in shifts:
            phone = "" if (shift.staff.phone or "").strip() else "  (no phone: cannot be paged)"
            lines.append(f"  {layer:<8} {shift.staff.name}, {local(shift.starts_at, tz)} to "
                         f"{local(shift.ends_at, tz)}{phone}")
    return lines


def _escalation(session: Session, patient: Patient, policy: Policy, at: datetime,
                tz: ZoneInfo) -> list[str]:
    """Each step of the policy's first pass: when it fires if nobody acknowledges, whom it
    pages and why. Targets are resolved at that step's time, and a step with nobody
    reachable is skipped at once, as the engine does."""
    contact = Contact(patient=patient, urgency="routine")  # never added to the session
    manager = patient.care_manager
    lines = [f"A routine contact from patient {patient.id} ({patient.name}) at "
             f"{local(at, tz)} pages:"]
    when = at
    for number, step in enumerate(policy.steps, start=1):
        unless = "" if number == 1 else " if nobody has acknowledged"
        lines.append(f"  step {number}, {local(when, tz)}{unless}: "
                     f"{', '.join(step.targets)} by {' and '.join(step.channels)}")
        people: dict[int, tuple[Staff, str]] = {}
        for target in step.targets:
            for person in resolve_target(session, target, contact, when):
                if person.id not in people:
                    until = on_shift_until(session, person.id, when)
                    reason = why_paged(target, person, manager, patient.name,
                                       local(until, tz) if until else None)
                    people[person.id] = (person, reason)
        reachable = 0
        for person, reason in people.values():
            has_phone = bool((person.phone or "").strip())
            reachable += has_phone
            lines.append(f"    {person.name}: {reason}"
                         + ("" if has_phone else "  (no phone: cannot be paged)"))
        if not reachable:
            lines.append("    nobody reachable: the step is skipped"
                         + ("; the next one is paged at once" if number < len(policy.steps)
                            else ""))
            continue
        when += step.wait
    if policy.repeat:
        lines.append(f"  then the {len(policy.steps)} steps again, {policy.repeat} more "
                     "time(s), until someone acknowledges")
    lines.append("  (urgent contacts follow the policy's urgent steps)")
    return lines


@click.command("oncall")
@click.option("--at", "wall", callback=_parse_at, metavar="'YYYY-MM-DD HH:MM'",
              help="Local time in HUB_TIMEZONE (default: now).")
@click.option("--patient", "patient_id", type=click.IntRange(min=1), metavar="ID",
              help="Patient database id: whom a contact from them would page, and why.")
@with_appcontext
def oncall_command(wall: datetime | None, patient_id: int | None) -> None:
    """Who is on call at a time, layer by layer; with --patient, whom the escalation pages."""
    rt = runtime.current()
    tz = rt.settings.tz
    at, note = (utcnow(), None) if wall is None else resolve_wall_time(wall, tz)
    with rt.sessions() as session:  # read only: nothing is written, nothing logged
        patient = session.get(Patient, patient_id) if patient_id is not None else None
        if patient_id is not None and patient is None:
            raise click.BadParameter(f"no patient with id {patient_id}", param_hint="'--patient'")
        if note:
            click.echo(note)
        click.echo(f"On call at {at.astimezone(tz):%Y-%m-%d %H:%M %Z} ({tz.key}):")
        for line in _layers(session, at, tz):
            click.echo(line)
        if patient is not None:
            click.echo()
            for line in _escalation(session, patient, rt.policy.for_urgency("routine"), at, tz):
                click.echo(line)


# --- hub coverage ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Gap:
    """A stretch of time when the line could not page as it should."""

    start: datetime
    end: datetime
    kind: str  # no_primary | no_phone | inactive
    what: str  # as the manager reads it (may name staff, never patients)


def _merge(spans: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def coverage_gaps(shifts: Sequence[Shift], start: datetime, end: datetime) -> list[Gap]:
    """Gaps in [start, end): no active primary on call, or an on-call person (any layer) who
    is inactive or has no phone; each merged into continuous ranges."""
    spans: dict[tuple[str, int, str], list[tuple[datetime, datetime]]] = defaultdict(list)
    primary = []
    for shift in shifts:
        span = (max(shift.starts_at, start), min(shift.ends_at, end))
        if span[0] >= span[1]:
            continue
        person = shift.staff
        if not person.active:
            spans[("inactive", person.id, f"{person.name} ({shift.layer}) is inactive")].append(
                span)
            continue
        if shift.layer == "primary":
            primary.append(span)
        if not (person.phone or "").strip():
            spans[("no_phone", person.id, f"{person.name} ({shift.layer}) has no phone")].append(
                span)
    cursor = start
    for covered_from, covered_to in _merge(primary) + [(end, end)]:
        if covered_from > cursor:
            spans[("no_primary", 0, "no primary on call")].append((cursor, covered_from))
        cursor = max(cursor, covered_to)
    gaps = [Gap(s, e, kind, what) for (kind, _, what), ranges in spans.items()
            for s, e in _merge(ranges)]
    return sorted(gaps, key=lambda gap: (gap.start, gap.end, gap.what))


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
        shifts = list(session.scalars(  # one query for the whole window
            select(Shift).join(Shift.staff).options(contains_eager(Shift.staff))
            .where(Shift.starts_at < end, Shift.ends_at > start)
            .order_by(Shift.starts_at, Shift.id)
        ))
        gaps = coverage_gaps(shifts, start, end)
        counts = {kind: sum(1 for g in gaps if g.kind == kind)
                  for kind in ("no_primary", "no_phone", "inactive")}
        contact_log.append(session, "coverage.checked", actor=f"cli:{getpass.getuser()}",
                           detail={"days": days, "from": start.isoformat(),
                                   "until": end.isoformat(), "shifts": len(shifts),
                                   "gaps": len(gaps), **counts})
        lines = [f"{local(g.start, tz)} to {local(g.end, tz)}: {g.what}" for g in gaps]
    window = f"{local(start, tz)} to {local(end, tz)} ({tz.key}, {days} day(s))"
    if not gaps:
        click.echo(f"covered: {window}: a primary on call throughout, everyone on call active "
                   f"with a phone ({len(shifts)} shift(s) checked)")
        return
    click.echo(f"{len(gaps)} gap(s) in on-call coverage, {window}:")
    for line in lines:
        click.echo(f"  {line}")
    raise click.exceptions.Exit(1)
