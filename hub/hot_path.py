"""Run a hot statement on the driver's own cursor: the webhook's two statements.

Every inbound text runs one matching query and one insert while Twilio waits. Through
``Connection.execute`` each costs SQLAlchemy's per-execution work (an execution context, a
result object, row processing), measured at about as much CPU again as the driver's own; on the
2-CPU benchmark that was a sixth of the webhook's throughput. Here SQLAlchemy still does what
matters, once per statement and dialect: the SQL is compiled from the models, the values pass
through the columns' bind processors (encryption, UTC timestamps), the connection comes from
the pool in the caller's transaction, and a driver error becomes SQLAlchemy's (a dead
connection is invalidated, so :func:`hub.db.once_more_if_disconnected` can retry).

Rows come back as the driver gives them: read only plain columns (ids, short strings), never
encrypted or timestamp columns, which need the result processing skipped here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import ClauseElement, Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.compiler import SQLCompiler

from hub.db import bind_processor


@dataclass(frozen=True)
class _Compiled:
    sql: str
    positional: tuple[str, ...] | None  # parameter order for a positional driver (sqlite3)
    fixed: dict[str, Any]  # values of the statement's own literals
    processors: dict[str, Any]  # bind parameter -> the column type's bind processor


_compiled: dict[tuple[int, str, tuple[str, ...]], tuple[ClauseElement, _Compiled]] = {}


def _compile(statement: ClauseElement, dialect: Dialect, keys: tuple[str, ...]) -> _Compiled:
    cache_key = (id(statement), dialect.name, keys)
    found = _compiled.get(cache_key)
    if found is not None:
        return found[1]
    compiled = cast("SQLCompiler", statement.compile(dialect=dialect, column_keys=list(keys)))
    processors = {name: process for name, bind in compiled.binds.items()
                  if (process := bind_processor(bind.type, dialect)) is not None}
    result = _Compiled(compiled.string,
                       tuple(compiled.positiontup or ()) if compiled.positional else None,
                       dict(compiled.params), processors)
    _compiled[cache_key] = (statement, result)  # the statement is kept, so its id stays its own
    return result


def run(conn: Connection, statement: ClauseElement, values: Mapping[str, Any]
        ) -> Sequence[tuple[Any, ...]]:
    """Execute ``statement`` with ``values`` in ``conn``'s transaction; return its raw rows."""
    compiled = _compile(statement, conn.dialect, tuple(values))
    params = {**compiled.fixed, **values}
    for name, process in compiled.processors.items():
        if params.get(name) is not None:
            params[name] = process(params[name])
    bound: Any = (tuple(params[name] for name in compiled.positional)
                  if compiled.positional is not None else params)
    dbapi_connection: Any = conn.connection.dbapi_connection
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(compiled.sql, bound)
        return cursor.fetchall() if cursor.description else []
    except conn.dialect.loaded_dbapi.Error as exc:
        disconnected = conn.dialect.is_disconnect(exc, dbapi_connection, cursor)
        if disconnected:
            conn.invalidate(exc)
        raise DBAPIError.instance(compiled.sql, None, exc, conn.dialect.loaded_dbapi.Error,
                                  hide_parameters=True,
                                  connection_invalidated=disconnected) from None
    finally:
        cursor.close()
