"""Engine and sessions for one app, SQLite/PostgreSQL specifics, and schema upgrades (Alembic).

Sessions open and close at the edges only (a request, a scheduler tick, a CLI command):
:func:`session_scope` is that edge.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

from alembic import command
from alembic.config import Config
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
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def make_engine(url: str) -> Engine:
    """An engine tuned for the backend: SQLite in WAL with immediate write locks."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # hide_parameters: a database error must not print bound values into the logs.
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False},
                               hide_parameters=True)
        _sqlite_transactions(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10,
                         hide_parameters=True)


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
        connection.exec_driver_sql("BEGIN IMMEDIATE")


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


def insert_unless_duplicate(conn: Connection, model: type[Any], unique_column: str) -> Insert:
    """INSERT ... ON CONFLICT (unique_column) DO NOTHING, for SQLite or PostgreSQL.

    With RETURNING, a duplicate returns no row: no exception, no rolled-back transaction.
    """
    dialect_insert = postgresql_insert if conn.dialect.name == "postgresql" else sqlite_insert
    return dialect_insert(model).on_conflict_do_nothing(index_elements=[unique_column])


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
    processors = [table.c[name].type.bind_processor(conn.dialect) for name in names]
    quote = conn.dialect.identifier_preparer
    statement = (f"COPY {quote.format_table(table)} "
                 f"({', '.join(quote.quote(name) for name in names)}) FROM STDIN")
    driver: Any = conn.connection.driver_connection  # psycopg's, in this transaction
    with driver.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row([value if process is None else process(value)
                            for value, process in zip((row[name] for name in names), processors,
                                                      strict=True)])


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


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str) -> None:
    """Bring the schema at ``url`` up to the newest migration.

    Several workers may start at once: on PostgreSQL an advisory lock lets one migrate while
    the others wait; on SQLite the immediate write lock does the same.
    """
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.exec_driver_sql("SELECT pg_advisory_xact_lock(727274001)")
            config = alembic_config(url)
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    finally:
        engine.dispose()


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
