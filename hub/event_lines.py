"""One structured line per contact-log event, written to the process's log once the event's
transaction commits (a rolled-back event never appears): what operators read with
``journalctl`` to follow a contact (received, triaged, paged, acknowledged, resolved) without
opening the database. A line names the event, the contact's id, the log's sequence number and
the actor; never patient data (that stays in the encrypted detail)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Connection, Engine, event

log = logging.getLogger("hub.events")
_PENDING = "event_lines"


def remember(conn: Connection, rows: Iterable[Mapping[str, Any]]) -> None:
    """Keep these log rows' lines until the connection's transaction ends."""
    if log.isEnabledFor(logging.INFO):
        conn.info.setdefault(_PENDING, []).extend(
            (row["event"], row["contact_id"], row["seq"], row["actor"]) for row in rows)


def install(engine: Engine) -> None:
    """Write remembered lines on commit, forget them on rollback."""
    @event.listens_for(engine, "commit")
    def _committed(conn: Connection) -> None:
        for name, contact_id, seq, actor in conn.info.pop(_PENDING, ()):
            log.info("event=%s contact=%s seq=%s actor=%s", name,
                     "-" if contact_id is None else contact_id, seq, actor or "-")

    @event.listens_for(engine, "rollback")
    def _rolled_back(conn: Connection) -> None:
        conn.info.pop(_PENDING, None)
