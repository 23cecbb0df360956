"""``hub rotation add|list|remove``: the practice's rotations, kept in the hub.

    hub rotation add nights ben@clinic.org nora@clinic.org maya@clinic.org \\
        --layer primary --every daily --handoff 02:00 --start 2026-03-07

Members take turns in the order given (each named once); hand-offs happen at the
local time in HUB_TIMEZONE, which the rotation keeps. Every change is logged (ids, no names).
"""

from __future__ import annotations

import getpass
import re
from datetime import date, time

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub import contact_log
from hub.cli.times import local, parse_date
from hub.models import Rotation, RotationMember, Staff, utcnow
from messages import runtime
from routing.schedule_store import rotation_plans

_EVERY = re.compile(r"^(daily|weekly|(\d{1,2})\s*([dw]))$", re.IGNORECASE)
_NAME = re.compile(r"^[\w.-]{1,64}$")


def actor() -> str:
    return f"cli:{getpass.getuser()}"


def staff_by_email(session: Session, email: str, option: str) -> Staff:
    """The active staff member with this e-mail, or a usage error naming the option."""
    person = session.scalar(select(Staff).where(func.lower(Staff.email) == email.strip().lower()))
    if person is None:
        raise click.BadParameter(f"no staff member has the e-mail {email!r}", param_hint=option)
    if not person.active:
        raise click.BadParameter(f"{email} is inactive", param_hint=option)
    return person


def _every(ctx: click.Context, param: click.Parameter, value: str) -> int:
    match = _EVERY.match(value.strip())
    if match is None:
        raise click.BadParameter(f"{value!r}: give daily, weekly, or a count like 2w or 3d")
    word, count, unit = match.groups()
    days = 1 if word.lower() == "daily" else 7 if word.lower() == "weekly" else \
        int(count) * (7 if unit.lower() == "w" else 1)
    if not 1 <= days <= 28:
        raise click.BadParameter(f"{value!r}: a turn lasts from 1 day to 4 weeks")
    return days


def _handoff(ctx: click.Context, param: click.Parameter, value: str) -> time:
    try:
        return time.fromisoformat(value.strip())
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a local time like 08:00") from None


def _start(ctx: click.Context, param: click.Parameter, value: str) -> date:
    return parse_date(value)


def _members(session: Session, emails: tuple[str, ...]) -> list[Staff]:
    """The members in turn order; a person named twice is refused (each takes one place:
    a second would give them two turns of every round)."""
    people: list[Staff] = []
    for email in emails:
        person = staff_by_email(session, email, "'EMAIL'")
        if any(p.id == person.id for p in people):
            raise click.BadParameter(f"{email} names {person.name} again: each member takes "
                                     "one place in the turn order", param_hint="'EMAIL'")
        people.append(person)
    return people


@click.group("rotation")
def rotation_group() -> None:
    """Rotations: staff take turns on an on-call layer, handing off at a set local time."""


@rotation_group.command("add")
@click.argument("name")
@click.argument("members", nargs=-1, required=True, metavar="EMAIL...")
@click.option("--layer", default="primary", show_default=True,
              help="The on-call layer the rotation holds (primary, backup, or any name).")
@click.option("--every", "every_days", default="weekly", show_default=True, callback=_every,
              help="How often the turn passes on: daily, weekly, 2w, 3d...")
@click.option("--handoff", default="08:00", show_default=True, callback=_handoff,
              help="The local hand-off time (HUB_TIMEZONE).")
@click.option("--start", "start", required=True, callback=_start, metavar="YYYY-MM-DD",
              help="The first member's first day (the first hand-off is that day).")
@with_appcontext
def add_rotation(name: str, members: tuple[str, ...], layer: str, every_days: int,
                 handoff: time, start: date) -> None:
    """Add rotation NAME: the members (by e-mail) take turns in the order given."""
    rt = runtime.current()
    if not _NAME.match(name):
        raise click.BadParameter("use up to 64 letters, digits, '.', '-' or '_'",
                                 param_hint="'NAME'")
    if not _NAME.match(layer) or len(layer) > 32:
        raise click.BadParameter("use up to 32 letters, digits, '.', '-' or '_'",
                                 param_hint="'--layer'")
    with rt.session() as session:
        if session.scalar(select(Rotation.id).where(Rotation.name == name)) is not None:
            raise click.BadParameter(f"a rotation named {name!r} exists; remove it first",
                                     param_hint="'NAME'")
        people = _members(session, members)
        rotation = Rotation(name=name, layer=layer, every_days=every_days,
                            handoff_minute=handoff.hour * 60 + handoff.minute,
                            start_date=start, time_zone=rt.settings.tz.key)
        rotation.members = [RotationMember(position=i, staff_id=p.id)
                            for i, p in enumerate(people)]
        session.add(rotation)
        session.flush()
        contact_log.append(session, "schedule.rotation_added", actor=actor(), detail={
            "rotation_id": rotation.id, "name": name, "layer": layer, "every_days": every_days,
            "handoff": f"{handoff:%H:%M}", "start": start.isoformat(),
            "time_zone": rotation.time_zone, "staff_ids": [p.id for p in people]})
    click.echo(f"rotation {name}: {len(people)} member(s) on {layer}, hand-off every "
               f"{every_days} day(s) at {handoff:%H:%M} {rt.settings.tz.key} from {start}")


@rotation_group.command("list")
@with_appcontext
def list_rotations() -> None:
    """Every rotation: its members in order, who holds it now and the next hand-off."""
    rt = runtime.current()
    now = utcnow()
    with rt.sessions() as session:
        plans = rotation_plans(session)
        names = {p.id: p.name for p in session.scalars(select(Staff))}
        if not plans:
            click.echo("no rotations")
        for plan in plans:
            turn = plan.turn_at(now)
            members = ", ".join(names.get(m, "?") for m in plan.members)
            click.echo(f"{plan.name} ({plan.layer}, every {plan.every_days} day(s) at "
                       f"{plan.handoff:%H:%M} {plan.tz.key}, from {plan.start}): {members}")
            if plan.members and turn >= 0:
                holder = names.get(plan.members[turn % len(plan.members)], "?")
                click.echo(f"  now: {holder} until {local(plan.handoff_at(turn + 1), plan.tz)} "
                           "(before overrides and swaps: see hub oncall)")
            elif plan.members:
                click.echo(f"  starts {local(plan.handoff_at(0), plan.tz)}")


@rotation_group.command("remove")
@click.argument("name")
@with_appcontext
def remove_rotation(name: str) -> None:
    """Remove rotation NAME (its turns leave the schedule; overrides stay)."""
    with runtime.current().session() as session:
        rotation = session.scalar(select(Rotation).where(Rotation.name == name))
        if rotation is None:
            raise click.BadParameter(f"no rotation named {name!r}", param_hint="'NAME'")
        contact_log.append(session, "schedule.rotation_removed", actor=actor(),
                           detail={"rotation_id": rotation.id, "name": name})
        session.delete(rotation)
    click.echo(f"rotation {name} removed")
