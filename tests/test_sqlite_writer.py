"""On the embedded SQLite default, writers take turns at a lock file beside the database, so a
webhook waiting for the engine's transaction wakes when it commits instead of sleeping in the
driver's growing retries; reads take no turn, and a failed transaction gives its turn back."""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import sessionmaker

from hub.db import make_engine, read_snapshot


def _free(lock_file: Path) -> bool:
    """Whether another writer could take the turn now (tried from a file of its own)."""
    fd = os.open(lock_file, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return True
    finally:
        os.close(fd)


@pytest.fixture
def engine(tmp_path):  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{tmp_path / 'hub.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (n INTEGER)"))
    yield engine
    engine.dispose()


def test_a_write_holds_the_turn_until_it_commits_and_a_second_writer_waits_for_it(
        engine, tmp_path):
    lock_file = tmp_path / "hub.db.write-lock"
    order: list[str] = []
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO t VALUES (1)"))
        assert not _free(lock_file)

        def second_writer() -> None:
            with engine.begin() as other:
                order.append("second writes")
                other.execute(text("INSERT INTO t VALUES (2)"))

        waiting = threading.Thread(target=second_writer)
        waiting.start()
        waiting.join(0.3)
        assert waiting.is_alive() and order == []  # queued behind the first
        order.append("first commits")
    waiting.join(10)
    assert order == ["first commits", "second writes"]
    assert _free(lock_file)


def test_reads_take_no_turn_and_a_rolled_back_write_gives_it_back(engine, tmp_path):
    lock_file = tmp_path / "hub.db.write-lock"
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO t VALUES (1)"))
    with read_snapshot(sessionmaker(engine)) as reading:
        assert reading.execute(text("SELECT count(*) FROM t")).scalar() == 1
        assert _free(lock_file)
    with pytest.raises(RuntimeError), engine.begin() as conn:
        conn.execute(text("INSERT INTO t VALUES (2)"))
        raise RuntimeError("a bug half-way through a write")
    assert _free(lock_file)


def test_a_write_inside_a_write_on_the_same_thread_does_not_wait_for_itself(engine):
    """SQLite refuses the inner one until the outer ends, as it always did (busy timeout);
    the turn must not turn that into a wait with no end."""
    with engine.begin() as outer:
        outer.execute(text("INSERT INTO t VALUES (1)"))
        raw = engine.raw_connection()
        try:
            inner = raw.driver_connection
            inner.execute("PRAGMA busy_timeout=50")
            inner.take_write_turn()  # returns at once: this thread holds the turn already
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                inner.execute("BEGIN IMMEDIATE")
        finally:
            raw.close()
