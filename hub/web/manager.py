"""The manager's pages: the overview (response times drawn as charts, missed and escalated
contacts, interruptions, coverage gaps ahead), the contact log with its filters, and each
contact's whole timeline. Every figure links to the log filtered to the contacts behind it.
Managers and admins only (:func:`~hub.web.manager_access.manager_required`)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, Response, abort, render_template, request, url_for
from sqlalchemy import func, select

from hub import triage_feedback
from hub.models import Contact, utcnow
from hub.reports import interruptions, log_filter, response_times, timeline
from hub.web.manager_access import manager_required, record_view
from hub.web.svg_chart import bar_chart
from messages import runtime
from routing import coverage

bp = Blueprint("manager", __name__, template_folder="templates")
QUARTER = timedelta(weeks=13)
GAP_DAYS = 14


def _filter() -> log_filter.LogFilter:
    try:
        return log_filter.parse(request.args)
    except log_filter.BadFilter as exc:
        abort(400, description=str(exc))


def _period() -> log_filter.LogFilter:
    """The overview's period: the filter's days, else the last 13 weeks up to today."""
    found = _filter()
    today = utcnow().astimezone(runtime.current().settings.tz).date()
    until = found.until or today
    since = found.since or until - QUARTER + timedelta(days=1)
    return log_filter.LogFilter(since=since, until=until)


def _log_link(period: log_filter.LogFilter, **changes: Any) -> str:
    args: dict[str, Any] = period.query_args(**changes)
    return url_for("manager.log", **args)


def _timings(period: log_filter.LogFilter) -> list[response_times.Timing]:
    settings = runtime.current().settings
    start, end = log_filter.day_bounds(period.since, period.until, settings.tz)
    assert start is not None and end is not None
    with runtime.current().reading() as db:
        return response_times.timings(db, start, end, settings.tz)


@bp.get("/manager")
@manager_required
def overview() -> str:
    """Response times by week and staff, missed and escalated, interruptions, gaps ahead."""
    rt = runtime.current()
    tz = rt.settings.tz
    period = _period()
    start, end = log_filter.day_bounds(period.since, period.until, tz)
    assert start is not None and end is not None
    found = _timings(period)
    hours = rt.policy.hours
    now = utcnow()
    with rt.reading() as db:
        where = log_filter.conditions(period, tz)
        outcomes = {name: int(db.scalar(select(func.count()).select_from(Contact).where(
            *where, *log_filter.conditions(log_filter.LogFilter(outcome=name), tz))) or 0)
            for name in log_filter.OUTCOMES}
        people = interruptions.per_staff(db, start, end, tz,
                                         hours.is_open if hours is not None else None)
        gaps, _spans = coverage.find_gaps(db, now, now + timedelta(days=GAP_DAYS))
        feedback = triage_feedback.counts(db, start, end)
        names = timeline.staff_names(db, {p.staff_id for p in people} | {
            moment[1] for t in found for moment in (t.page, t.ack, t.resolve)
            if moment is not None and moment[1] is not None})
    return render_template(
        "manager/overview.html", period=period, total=len(found), outcomes=outcomes,
        weeks=response_times.by_week(found), staff=response_times.by_staff(found, names),
        measures=response_times.MEASURES, people=people, names=names, gaps=gaps,
        gap_days=GAP_DAYS, kinds=interruptions.KINDS, link=_log_link,
        chart_args=period.query_args(), outcome_words=log_filter.OUTCOMES, feedback=feedback,
        verdicts=triage_feedback.VERDICTS)


@bp.get("/manager/charts/response-times.svg")
@manager_required
def response_chart() -> Response:
    """Median and 90th percentile of one measure by week, as an SVG image."""
    measure = request.args.get("measure", "ack")
    if measure not in response_times.MEASURES:
        abort(400, description="measure: one of " + ", ".join(response_times.MEASURES))
    settings = runtime.current().settings
    period = _period()
    start, end = log_filter.day_bounds(period.since, period.until, settings.tz)
    assert start is not None and end is not None
    with runtime.current().reading() as db:
        weeks = response_times.one_measure(db, start, end, settings.tz, measure)
    svg = bar_chart(f"Minutes {response_times.MEASURES[measure]}, by week",
                    [w.label for w in weeks],
                    [("median", [w.figures[measure].median for w in weeks]),
                     ("90th percentile", [w.figures[measure].p90 for w in weeks])], "minutes")
    return Response(svg, mimetype="image/svg+xml", headers={"Cache-Control": "no-store"})


@bp.get("/manager/charts/interruptions.svg")
@manager_required
def interruptions_chart() -> Response:
    """Pages per staff member in working, off and sleep hours, as an SVG image."""
    rt = runtime.current()
    period = _period()
    start, end = log_filter.day_bounds(period.since, period.until, rt.settings.tz)
    assert start is not None and end is not None
    hours = rt.policy.hours
    with rt.reading() as db:
        people = interruptions.per_staff(db, start, end, rt.settings.tz,
                                         hours.is_open if hours is not None else None)
        names = timeline.staff_names(db, {p.staff_id for p in people})
    svg = bar_chart("Interruptions (pages) by staff member",
                    [names.get(p.staff_id, str(p.staff_id)) for p in people],
                    [(kind, [float(p.counts[kind]) for p in people])
                     for kind in interruptions.KINDS], "pages")
    return Response(svg, mimetype="image/svg+xml", headers={"Cache-Control": "no-store"})


@bp.get("/manager/log")
@manager_required
def log() -> str:
    """The contact log, filtered, newest first, a page at a time; the page view audited."""
    rt = runtime.current()
    found = _filter()
    before = request.args.get("before", "")
    if before and not before.isdigit():
        abort(400, description="before: a contact id")
    with rt.reading() as db:
        try:
            contacts, next_before = log_filter.page(db, found, rt.settings.tz,
                                                    int(before) if before else None)
        except log_filter.BadFilter as exc:
            abort(400, description=str(exc))
        page = render_template(
            "manager/log.html", contacts=contacts, found=found, next_before=next_before,
            channels=log_filter.CHANNELS, urgencies=log_filter.URGENCIES,
            states=log_filter.STATES, outcomes=log_filter.OUTCOMES, first_page=not before,
            staff_names=timeline.staff_names(db, {c.acknowledged_by_id for c in contacts
                                                  if c.acknowledged_by_id}))
        patient_ids = sorted({c.patient_id for c in contacts if c.patient_id})
    record_view("access.view_contact_log", filter=found.query_args(), patient_ids=patient_ids)
    return page


@bp.get("/manager/c/<ref>")
@manager_required
def contact_timeline(ref: str) -> str:
    """One contact's whole story, and who looked at it; the view itself audited."""
    with runtime.current().reading() as db:
        contact = db.scalar(select(Contact).where(Contact.ref == ref))
        if contact is None:
            abort(404, description="no contact with that reference")
        steps, pages = timeline.build(db, contact.id)
        page = render_template("manager/timeline.html", contact=contact, steps=steps,
                               pages=pages)
        seen = {"contact_id": contact.id, "patient_id": contact.patient_id}
    record_view("access.view_timeline", **seen)
    return page
