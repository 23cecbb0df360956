"""Operations endpoints: ``/healthz`` (the process serves and the database answers) and
``/readyz`` (an engine ticks and nothing is overdue)."""

from __future__ import annotations

from flask import Blueprint, Response
from sqlalchemy import text

from hub import readiness
from hub.models import utcnow
from messages import runtime

bp = Blueprint("health", __name__)


def _plain(body: str, status: int = 200) -> Response:
    return Response(body, status=status, mimetype="text/plain",
                    headers={"Cache-Control": "no-store"})


@bp.get("/healthz")
def healthz() -> Response:
    """200 when the database answers."""
    try:
        with runtime.current().engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception:
        return _plain("database unavailable\n", 503)
    return _plain("ok\n")


@bp.get("/readyz")
def readyz() -> Response:
    """200 only when an engine ticked within seconds and nothing is overdue; 503 with why."""
    try:
        with runtime.current().session() as session:
            found = readiness.problems(session, utcnow())
    except Exception:
        return _plain("database unavailable\n", 503)
    if found:
        return _plain("".join(f"{line}\n" for line in found), 503)
    return _plain("ready\n")
