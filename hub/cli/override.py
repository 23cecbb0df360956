"""``hub override add|list|remove`` and ``hub swap add|list|remove``: changes to the schedule.

    hub override add replace --by nora@clinic.org --for ben@clinic.org \\
        --from "2026-03-07 18:00" --until "2026-03-07 23:00"
    hub override add add --by omar@clinic.org --layer primary --from ... --until ...
    hub override add remove --for ben@clinic.org --from ... --until ...
    hub swap add ben@clinic.org "2026-03-09 12:00" nora@clinic.org "2026-03-12 12:00"

A swap exchanges the two turns (rotation or calendar) that hold those instants. Changes apply
oldest first: a change for someone an earlier one already took off call finds nobody to
change in the overlap, and the command says so. Every change is logged (ids, no names).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import click
from flask.cli import with_appcontext
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from hub import contact_log
from hub.cli.rotation import actor, staff_by_email
from hub.cli.times import local, parse_local
from hub.models import ScheduleOverride, Staff, utcnow
from messages import runtime
from routing.roster import OnCall
from routing.schedule_store import held_layers, spans_between

_TICK = timedelta(microseconds=1)


def _conflict(session: Session, for_id: int, layer: str | None, start: datetime,
              end: datetime) -> ScheduleOverride | None:
    """An existing change that already takes ``for_id`` off this layer in [start, end)."""
    query = select(ScheduleOverride).where(
        ScheduleOverride.replaces_id == for_id, ScheduleOverride.kind != "add",
        ScheduleOverride.starts_at < end, ScheduleOverride.ends_at > start)
    if layer is not None:
        query = query.where(or_(ScheduleOverride.layer.is_(None),
                                ScheduleOverride.layer == layer))
    return session.scalars(query.order_by(ScheduleOverride.id).limit(1)).first()


def known_layer(session: Session, layer: str) -> str:
    """``layer`` when the schedule or the policy holds it, else a usage error naming the
    option: a typo would otherwise make a change that changes nothing."""
    known = held_layers(session) | runtime.current().policy.schedule_names()
    if layer not in known:
        raise click.BadParameter(
            f"the layer {layer!r} is held by no rotation, calendar shift or policy target "
            f"(known: {', '.join(sorted(known))})", param_hint="'--layer'")
    return layer


def _overlap_note(session: Session, person: Staff, layer: str | None, start: datetime,
                  end: datetime, tz: ZoneInfo) -> str | None:
    """A note when an earlier change already takes ``person`` off call in this period:
    changes apply oldest first, so there the new one finds nobody to change."""
    existing = _conflict(session, person.id, layer, start, end)
    if existing is None:
        return None
    what = "swap" if existing.kind == "swap" else "override"
    return (f"note: {what} #{existing.id} already takes {person.name} off call "
            f"({existing.layer or 'every layer'}) from {local(existing.starts_at, tz)} to "
            f"{local(existing.ends_at, tz)}; where the two overlap this one changes nothing")


@click.group("override")
def override_group() -> None:
    """Overrides: someone covers, joins or leaves on-call for a period."""


@override_group.command("add")
@click.argument("kind", type=click.Choice(["replace", "add", "remove"]))
@click.option("--by", "by_email", metavar="EMAIL", help="Who goes on call (replace, add).")
@click.option("--for", "for_email", metavar="EMAIL", help="Who comes off call (replace, remove).")
@click.option("--layer", help="Only this layer (add needs one; default: every layer).")
@click.option("--from", "start_text", required=True, metavar="'YYYY-MM-DD HH:MM'")
@click.option("--until", "end_text", required=True, metavar="'YYYY-MM-DD HH:MM'")
@with_appcontext
def add_override(kind: str, by_email: str | None, for_email: str | None, layer: str | None,
                 start_text: str, end_text: str) -> None:
    """Add an override: KIND replace (--by covers --for), add (--by joins --layer) or remove
    (--for comes off), from --from until --until, practice time."""
    rt = runtime.current()
    tz = rt.settings.tz
    start = parse_local(start_text, "'--from'", tz)
    end = parse_local(end_text, "'--until'", tz)
    if end <= start:
        raise click.BadParameter("must be after --from", param_hint="'--until'")
    if kind in ("replace", "add") and not by_email:
        raise click.UsageError(f"{kind} needs --by EMAIL (who goes on call)")
    if kind in ("replace", "remove") and not for_email:
        raise click.UsageError(f"{kind} needs --for EMAIL (who comes off call)")
    if kind == "add" and not layer:
        raise click.UsageError("add needs --layer (which layer the person joins)")
    if kind == "remove" and by_email:
        raise click.UsageError("remove takes --for off call and no one on: --by has no place "
                               "here (replace --by ... --for ... has one person cover another)")
    if kind == "add" and for_email:
        raise click.UsageError("add puts --by on call beside whoever is: --for has no place "
                               "here (replace --by ... --for ... has one person cover another)")
    with rt.session() as session:
        if layer is not None:
            known_layer(session, layer)
        by = staff_by_email(session, by_email, "'--by'") if by_email else None
        off = staff_by_email(session, for_email, "'--for'") if for_email else None
        if by is not None and off is not None and by.id == off.id:
            raise click.UsageError("--by and --for name the same person")
        note = _overlap_note(session, off, layer, start, end, tz) if off is not None else None
        row = ScheduleOverride(kind=kind, layer=layer, staff_id=by.id if by else None,
                               replaces_id=off.id if off else None, starts_at=start,
                               ends_at=end)
        session.add(row)
        session.flush()
        contact_log.append(session, "schedule.override_added", actor=actor(), detail={
            "override_id": row.id, "kind": kind, "layer": layer, "staff_id": row.staff_id,
            "replaces_id": row.replaces_id, "from": start.isoformat(),
            "until": end.isoformat()})
        text = _describe(row, {p.id: p.name for p in (by, off) if p is not None}, tz)
    click.echo(f"override #{row.id}: {text}")
    if note:
        click.echo(note, err=True)


def _describe(row: ScheduleOverride, names: dict[int, str], tz: ZoneInfo) -> str:
    who, off = names.get(row.staff_id or 0, "?"), names.get(row.replaces_id or 0, "?")
    layer = row.layer or "every layer"
    span = f"{local(row.starts_at, tz)} to {local(row.ends_at, tz)}"
    if row.kind == "add":
        return f"{who} also on call ({layer}), {span}"
    if row.kind == "remove":
        return f"{off} off call ({layer}), {span}"
    verb = "takes" if row.kind == "swap" else "covers"
    return f"{who} {verb} {off}'s on-call ({layer}), {span}"


def _upcoming(session: Session, kinds: tuple[str, ...], everything: bool
              ) -> tuple[list[ScheduleOverride], dict[int, str]]:
    query = select(ScheduleOverride).where(ScheduleOverride.kind.in_(kinds))
    if not everything:
        query = query.where(ScheduleOverride.ends_at > utcnow())
    rows = list(session.scalars(query.order_by(ScheduleOverride.starts_at,
                                               ScheduleOverride.id)))
    ids = {i for r in rows for i in (r.staff_id, r.replaces_id) if i is not None}
    names = {p.id: p.name for p in session.scalars(select(Staff).where(Staff.id.in_(ids)))} \
        if ids else {}
    return rows, names


@override_group.command("list")
@click.option("--all", "everything", is_flag=True, help="Past overrides too.")
@with_appcontext
def list_overrides(everything: bool) -> None:
    """Overrides not yet over (with --all, every one), in time order."""
    rt = runtime.current()
    with rt.sessions() as session:
        rows, names = _upcoming(session, ("add", "remove", "replace"), everything)
        for row in rows:
            click.echo(f"#{row.id} {row.kind}: {_describe(row, names, rt.settings.tz)}")
        if not rows:
            click.echo("no overrides" if everything
                       else "no overrides not yet over (--all: past ones too)")


def _remove(kinds: tuple[str, ...], what: str, row_id: int) -> None:
    with runtime.current().session() as session:
        row = session.get(ScheduleOverride, row_id)
        if row is None or row.kind not in kinds:
            raise click.BadParameter(f"no {what} #{row_id}", param_hint="'ID'")
        rows = [row] + ([pair] if row.pair_id and (pair := session.get(
            ScheduleOverride, row.pair_id)) is not None else [])
        for each in rows:
            session.delete(each)
        contact_log.append(session, f"schedule.{what}_removed", actor=actor(),
                           detail={"override_ids": [r.id for r in rows]})
    click.echo(f"{what} #{row_id} removed")


@override_group.command("remove")
@click.argument("row_id", metavar="ID", type=int)
@with_appcontext
def remove_override(row_id: int) -> None:
    """Remove override ID."""
    _remove(("add", "remove", "replace"), "override", row_id)


# --- swaps -------------------------------------------------------------------------------------

def _turn(session: Session, person: Staff, layer: str, at: datetime, option: str) -> OnCall:
    """The turn of ``person`` on ``layer`` that holds ``at``, or a usage error."""
    for span in spans_between(session, at, at + _TICK):
        if span.staff_id == person.id and span.layer == layer and span.holds(at):
            return span
    raise click.BadParameter(f"{person.name} holds no {layer} turn then", param_hint=option)


@click.group("swap")
def swap_group() -> None:
    """Swaps: two people exchange two turns of a layer."""


@swap_group.command("add")
@click.argument("first_email", metavar="EMAIL")
@click.argument("first_at", metavar="'YYYY-MM-DD HH:MM'")
@click.argument("second_email", metavar="EMAIL")
@click.argument("second_at", metavar="'YYYY-MM-DD HH:MM'")
@click.option("--layer", default="primary", show_default=True)
@with_appcontext
def add_swap(first_email: str, first_at: str, second_email: str, second_at: str,
             layer: str) -> None:
    """The first person's turn holding the first time and the second person's turn holding
    the second time change hands: each works the other's."""
    rt = runtime.current()
    tz = rt.settings.tz
    with rt.session() as session:
        first = staff_by_email(session, first_email, "'EMAIL'")
        second = staff_by_email(session, second_email, "'EMAIL'")
        if first.id == second.id:
            raise click.UsageError("a swap needs two different people")
        known_layer(session, layer)
        one = _turn(session, first, layer, parse_local(first_at, "'FIRST_AT'", tz), "FIRST_AT")
        two = _turn(session, second, layer, parse_local(second_at, "'SECOND_AT'", tz),
                    "SECOND_AT")
        if one.start < two.end and two.start < one.end:
            raise click.UsageError("the two turns overlap: nothing to swap")
        notes = [n for n in (_overlap_note(session, first, layer, one.start, one.end, tz),
                             _overlap_note(session, second, layer, two.start, two.end, tz)) if n]
        halves = [ScheduleOverride(kind="swap", layer=layer, staff_id=second.id,
                                   replaces_id=first.id, starts_at=one.start, ends_at=one.end),
                  ScheduleOverride(kind="swap", layer=layer, staff_id=first.id,
                                   replaces_id=second.id, starts_at=two.start, ends_at=two.end)]
        session.add_all(halves)
        session.flush()
        halves[0].pair_id, halves[1].pair_id = halves[1].id, halves[0].id
        contact_log.append(session, "schedule.swap_added", actor=actor(), detail={
            "override_ids": [h.id for h in halves], "layer": layer,
            "staff_ids": [first.id, second.id],
            "turns": [[h.starts_at.isoformat(), h.ends_at.isoformat()] for h in halves]})
        names = {first.id: first.name, second.id: second.name}
        lines = [_describe(h, names, tz) for h in halves]
    click.echo(f"swap #{halves[0].id}: " + "; ".join(lines))
    for note in notes:
        click.echo(note, err=True)


@swap_group.command("list")
@click.option("--all", "everything", is_flag=True, help="Past swaps too.")
@with_appcontext
def list_swaps(everything: bool) -> None:
    """Swaps not yet over, each as its two halves."""
    rt = runtime.current()
    with rt.sessions() as session:
        rows, names = _upcoming(session, ("swap",), everything)
        shown: set[int] = set()
        for row in rows:
            if row.id in shown:
                continue
            pair = next((r for r in rows if r.id == row.pair_id), None)
            shown.update({row.id, row.pair_id or 0})
            text = "; ".join(_describe(r, names, rt.settings.tz) for r in (row, pair) if r)
            click.echo(f"#{min(row.id, row.pair_id or row.id)} swap: {text}")
        if not rows:
            click.echo("no swaps" if everything
                       else "no swaps not yet over (--all: past ones too)")


@swap_group.command("remove")
@click.argument("row_id", metavar="ID", type=int)
@with_appcontext
def remove_swap(row_id: int) -> None:
    """Remove swap ID (both halves)."""
    _remove(("swap",), "swap", row_id)
