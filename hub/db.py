"""Engine and sessions for one app, SQLite/PostgreSQL specifics, and schema upgrades (Alembic).

Sessions open and close at the edges only (a request, a scheduler tick, a CLI command):
:func:`session_scope` is that edge.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar, cast

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import (
    ColumnElement,
    Connection,
    CursorResult,
    Engine,
    Executable,
    Insert,
    Integer,
    Table,
    any_,
    bindparam,
    create_engine,
    event,
    insert,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

from hub import event_lines, sqlite_writer

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
T = TypeVar("T")
CONNECT_TIMEOUT = 5  # seconds (PostgreSQL); libpq waits 2 at the least


def make_engine(url: str) -> Engine:
    """An engine tuned for the backend: SQLite in WAL with immediate write locks."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # hide_parameters: a database error must not print bound values into the logs.
        lock_file = f"{path}.write-lock" if path and path != ":memory:" else None
        engine = create_engine(url, connect_args={
            "timeout": 30, "check_same_thread": False, "factory": sqlite_writer.factory(lock_file),
        }, hide_parameters=True)
        _sqlite_transactions(engine)
        event_lines.install(engine)
        return engine
    # A database that stops answering must fail a webhook within Twilio's 15 s, so the text
    # is kept on the spool (messages.outage), not left to time out; the URL may say otherwise.
    connect_args = ({} if "connect_timeout" in make_url(url).query
                    else {"connect_timeout": CONNECT_TIMEOUT})
    engine = create_engine(url, pool_size=5, max_overflow=10, hide_parameters=True,
                           connect_args=connect_args)
    _ping_after_idle(engine)
    event_lines.install(engine)
    return engine


IDLE_BEFORE_PING = 1.0  # seconds a pooled connection may rest before it is checked again


def _ping_after_idle(engine: Engine) -> None:
    """Check a pooled connection before use only when it has rested for a while.

    This is SQLAlchemy's pessimistic pre-ping, minus the round trip on the busy path: a
    connection back in use within a second was working a moment ago, and under load (a burst
    of webhooks) every checkout would otherwise pay one more round trip to the database. After
    a database restart, the first checkout of each rested connection finds it dead and the
    pool replaces it, as with ``pool_pre_ping``.
    """
    @event.listens_for(engine, "checkin")
    def _rested_from(_dbapi_connection, record):  # type: ignore[no-untyped-def]
        record.info["checked_in"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _check(dbapi_connection, record, _proxy):  # type: ignore[no-untyped-def]
        since = record.info.get("checked_in")
        if since is None or time.monotonic() - since < IDLE_BEFORE_PING:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:  # any failure: let the pool connect afresh
            raise DisconnectionError("a pooled connection no longer answers") from exc


def _sqlite_transactions(engine: Engine) -> None:
    # pysqlite's own BEGIN is deferred: two processes could both read the log head and then
    # fail to upgrade to a write lock. BEGIN IMMEDIATE takes the write lock up front, so a
    # transaction either waits its turn or runs; compare-and-set still guards the timers.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):  # type: ignore[no-untyped-def]
        # A snapshot only reads: a deferred BEGIN takes no write lock, and in WAL mode its
        # first read fixes what every later read of the transaction sees.
        read_only = connection.get_execution_options().get(SNAPSHOT, False)
        if not read_only:  # queue for the one writer without sleeping (hub/sqlite_writer.py)
            connection.connection.dbapi_connection.take_write_turn()
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


@contextmanager
def quick_write(engine: Engine) -> Iterator[Connection]:
    """A connection for a few statements that need no transaction around them together.

    On PostgreSQL each statement commits by itself (autocommit): no BEGIN and COMMIT round
    trips on the webhook's path. On SQLite, where a round trip costs nothing, they share one
    immediate transaction.
    """
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            yield conn
    else:
        with engine.begin() as conn:
            yield conn


def once_more_if_disconnected(engine: Engine, work: Callable[[], T]) -> T:
    """Run ``work``; if its connection turned out dead (the database restarted or failed over
    under connections the pool had just used), run it once more on a fresh pool.

    Every pooled connection predates the failure, so the pool's resting connections are closed
    and a new pool started, as SQLAlchemy does itself for a disconnect it meets. Only for work
    that may safely run twice (an insert that ignores a duplicate Sid): the first attempt's
    transaction never committed.
    """
    try:
        return work()
    except DBAPIError as exc:
        if not exc.connection_invalidated:
            raise
        engine.dispose()
        return work()


def insert_unless_duplicate(conn: Connection, model: type[Any], unique_column: str,
                            returning: Any = None) -> Insert:
    """INSERT ... ON CONFLICT (unique_column) DO NOTHING [RETURNING returning], for SQLite or
    PostgreSQL.

    With RETURNING, a duplicate returns no row: no exception, no rolled-back transaction.
    """
    return _insert_unless_duplicate(conn.dialect.name, cast(Any, model), unique_column, returning)


@functools.cache
def _insert_unless_duplicate(dialect: str, model: Any, unique_column: str,
                             returning: Any) -> Insert:
    # Built once per table: the webhook's insert then skips constructing the statement and
    # computing its cache key on every request. Statements are immutable (generative).
    dialect_insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = dialect_insert(model).on_conflict_do_nothing(index_elements=[unique_column])
    return statement if returning is None else statement.returning(returning)


def upsert(conn: Connection, model: type[Any], key: str, values: Mapping[str, Any],
           changes: Mapping[str, Any]) -> None:
    """INSERT ``values``, or on a conflict on ``key`` UPDATE the row with ``changes`` (column
    expressions read the existing row): one statement on SQLite and PostgreSQL alike."""
    dialect_insert = postgresql_insert if conn.dialect.name == "postgresql" else sqlite_insert
    conn.execute(dialect_insert(model).values(**values)
                 .on_conflict_do_update(index_elements=[key], set_=dict(changes)))


def bind_processor(type_: Any, dialect: Any) -> Any:
    """What SQLAlchemy does to a value of ``type_`` on its way to ``dialect``'s driver
    (encryption, UTC timestamps, the dialect's own conversions), or None: for statements run
    on the driver directly (COPY, :mod:`hub.hot_path`)."""
    return type_.dialect_impl(dialect).bind_processor(dialect)


# From this many rows, insert_rows copies them (fewer: COPY's extra round trip is not worth it).
COPY_FROM = 20


def insert_rows(conn: Connection, model: type[Any], rows: Sequence[Mapping[str, Any]]) -> None:
    """INSERT rows that all name the same columns, in the connection's transaction.

    On PostgreSQL many rows go by ``COPY ... FROM STDIN``: a storm of due steps writes
    thousands, and COPY costs the client and the server a fraction of an INSERT per row. The
    values pass through the columns' types first (encryption, UTC timestamps), as they would
    in an INSERT; the constraints and triggers hold the same. Rows that leave out a column
    with a Python-side default go by INSERT, which fills it in.
    """
    if not rows:
        return
    table: Table = model.__table__
    names = list(rows[0])
    if conn.dialect.name != "postgresql" or len(rows) < COPY_FROM or any(
            column.default is not None and column.name not in names for column in table.c):
        conn.execute(insert(model), list(rows))
        return
    processors = [bind_processor(table.c[name].type, conn.dialect) for name in names]
    quote = conn.dialect.identifier_preparer
    statement = (f"COPY {quote.format_table(table)} "
                 f"({', '.join(quote.quote(name) for name in names)}) FROM STDIN")
    driver: Any = conn.connection.driver_connection  # psycopg's, in this transaction
    with driver.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row([value if process is None else process(value)
                            for value, process in zip((row[name] for name in names), processors,
                                                      strict=True)])


def refresh_statistics(conn: Connection, *models: type[Any]) -> None:
    """Have PostgreSQL gather the planner's statistics for tables just bulk loaded, in the
    connection's transaction (which counts its own new rows).

    Autovacuum would, within a minute or so; until then the planner guesses, and reading who
    holds an instant from a fresh schedule of thousands of shifts went by whole-table scans.
    """
    if conn.dialect.name != "postgresql":
        return
    quote = conn.dialect.identifier_preparer
    for model in models:
        conn.exec_driver_sql(f"ANALYZE {quote.format_table(model.__table__)}")


def rows_changed(session: Session, statement: Executable) -> int:
    """Run an UPDATE/DELETE and return how many rows it changed (for compare-and-set)."""
    result = cast("CursorResult[Any]", session.execute(statement))
    return int(result.rowcount)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session that commits on success and rolls back on any exception."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


SNAPSHOT = "hub_snapshot"


@contextmanager
def read_snapshot(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session in one read-only transaction whose every read sees the same committed state
    (REPEATABLE READ on PostgreSQL; on SQLite, a deferred transaction in WAL mode), however
    many writers commit meanwhile. Nothing is written; it ends in a rollback."""
    with factory() as session:
        if session.get_bind().dialect.name == "postgresql":
            options: dict[str, Any] = {"isolation_level": "REPEATABLE READ",
                                       "postgresql_readonly": True}
        else:
            options = {SNAPSHOT: True}
        session.connection(execution_options=options)
        try:
            yield session
        finally:
            session.rollback()


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str) -> bool:
    """Bring the schema at ``url`` up to the newest migration; True when there was none (a
    new database: the caller says which one it made).

    Several workers may start at once: on PostgreSQL an advisory lock lets one migrate while
    the others wait; on SQLite the immediate write lock does the same.
    """
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.exec_driver_sql("SELECT pg_advisory_xact_lock(727274001)")
            created = MigrationContext.configure(connection).get_current_revision() is None
            config = alembic_config(url)
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    finally:
        engine.dispose()
    return created


def shown(url: str) -> str:
    """The database URL as it may be printed: any password masked."""
    return make_url(url).render_as_string(hide_password=True)


def id_in(session: Session, column: Any, ids: Iterable[int]) -> ColumnElement[bool]:
    """``column IN ids`` that reads the same to the database whatever the number of ids.

    On PostgreSQL ``= ANY(array)``, one parameter: a batch of 250 ids would otherwise make a
    statement of its own, parsed and planned again for every size (milliseconds each).
    """
    values = sorted(set(ids))
    if session.get_bind().dialect.name == "postgresql":
        return cast("ColumnElement[bool]",
                    column == any_(bindparam(None, values, type_=ARRAY(Integer))))
    return cast("ColumnElement[bool]", column.in_(values))
