"""What one process runs with: settings, database, cipher, policy, triage, outbound transport.

Built once per process by :func:`app.create_app` and kept in ``app.extensions["hub"]``; the
CLI, the web requests, the webhooks and the engine all reach it through :func:`current`. It
sits in the edge's lowest package because it holds the edge's parts (the transport) beside
routing's (the policy) and the core's; nothing in ``routing/`` or ``hub``'s core sees it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from config.settings import Settings
from hub import crypto, db
from hub.spool import Spool
from hub.triage import Triager
from messages.transport import Transport
from routing.policy import Policy


@dataclass
class Runtime:
    """The process-wide parts; none of them holds state that decides anything."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    cipher: crypto.FieldCipher
    policy: Policy
    triager: Triager
    transport: Transport

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits when the block ends, or rolls back on error."""
        with db.session_scope(self.sessions) as session:
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session that only reads, in one snapshot, and holds no write lock: on SQLite a
        long report or export never makes a webhook wait for the database's one writer."""
        with db.read_snapshot(self.sessions) as session:
            yield session

    def spool(self) -> Spool:
        """This host's spool of webhooks kept while the database is unreachable."""
        return Spool(self.settings.spool_dir, self.cipher, self.settings.spool_max_bytes)


def current() -> Runtime:
    """The runtime of the Flask app in context (request, CLI command, scheduler job)."""
    return current_app.extensions["hub"]
