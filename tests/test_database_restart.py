"""The database drops the hub's connections (a restart, a failover): the next text still goes
through, on connections the pool checks once they have rested."""

from __future__ import annotations

from contextlib import ExitStack

import pytest
from sqlalchemy import create_engine, func, select, text

from hub import db
from hub.models import Contact
from tests.conftest import PG_ADMIN_URL
from tests.practice import WALTER


def _drop_connections(database_url: str) -> int:
    """What a PostgreSQL restart does to the hub: every server process of its database ends."""
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = database_url.rsplit("/", 1)[-1]
    with admin.connect() as conn:
        ended = conn.execute(text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": name}).scalar_one()
    admin.dispose()
    return int(ended)


def test_after_the_database_drops_every_connection_the_next_text_is_taken(
        rt, twilio, twilio_api, practice, database_url, monkeypatch):
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL's connections are the ones a restart drops")
    assert twilio.sms(WALTER, "I feel short of breath tonight").status_code == 200
    assert _drop_connections(database_url) >= 1
    monkeypatch.setattr(db, "IDLE_BEFORE_PING", 0.0)  # the connections have rested

    assert twilio.sms(WALTER, "Still short of breath").status_code == 200
    with rt.sessions() as session:
        assert session.scalar(select(func.count(Contact.id))) == 2
    twilio_api.wait_for(2)


def test_a_connection_dropped_right_after_use_is_replaced_and_the_text_still_taken(
        rt, twilio, twilio_api, practice, database_url, monkeypatch):
    # Under load a connection is back in use within a second, so it is not checked first: the
    # webhook meets the dead connection itself, and stores the text on a fresh one.
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL's connections are the ones a restart drops")
    assert twilio.sms(WALTER, "I feel short of breath tonight").status_code == 200
    monkeypatch.setattr(db, "IDLE_BEFORE_PING", 1e9)
    with ExitStack() as busy:  # several workers' threads were using the pool at that moment
        for _ in range(3):
            busy.enter_context(rt.engine.connect()).execute(text("SELECT 1"))
    assert _drop_connections(database_url) >= 3

    assert twilio.sms(WALTER, "Still short of breath").status_code == 200
    with rt.sessions() as session:
        assert session.scalar(select(func.count(Contact.id))) == 2


def test_a_connection_back_in_use_at_once_is_not_checked_again(database_url, cipher,
                                                                monkeypatch):
    engine = db.make_engine(database_url)
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no server connection to check")
    pings = []
    original = engine.dialect.do_ping
    engine.dialect.do_ping = lambda connection: pings.append(1) or original(connection)
    for _ in range(5):
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    assert pings == []  # busy: no extra round trip per checkout
    monkeypatch.setattr(db, "IDLE_BEFORE_PING", 0.0)  # now it has rested: checked once
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    assert pings == [1]
    engine.dispose()
