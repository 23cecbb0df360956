"""Operations endpoints: ``/healthz`` (the database answers) and ``/metrics`` (Prometheus)."""

from __future__ import annotations

from flask import Blueprint, Response
from sqlalchemy import func, select, text

from hub.models import Contact, LogEntry, Outbound, Timer
from messages import runtime

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    """200 when the database answers."""
    try:
        with runtime.current().engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception:
        return Response("database unavailable\n", status=503, mimetype="text/plain")
    return Response("ok\n", mimetype="text/plain")


@bp.get("/metrics")
def metrics() -> Response:
    """Prometheus text: contacts, outbound and timers by state, log length."""
    lines: list[str] = []
    with runtime.current().session() as db:
        for name, column in (("hub_contacts", Contact.status), ("hub_outbound", Outbound.status)):
            lines.append(f"# TYPE {name} gauge")
            for state, count in db.execute(select(column, func.count()).group_by(column)):
                lines.append(f'{name}{{status="{state}"}} {count}')
        pending = db.scalar(select(func.count(Timer.id)).where(Timer.fired_at.is_(None)))
        entries = db.scalar(select(func.count(LogEntry.seq)))
    lines += ["# TYPE hub_timers_pending gauge", f"hub_timers_pending {pending}",
              "# TYPE hub_log_entries gauge", f"hub_log_entries {entries}"]
    return Response("\n".join(lines) + "\n", mimetype="text/plain; version=0.0.4")
