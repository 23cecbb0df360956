"""Failed sign-ins counted where every worker sees them: a ``limits`` storage over the hub's
own database (``HUB_LIMIT_STORAGE=database``, the default), for Flask-Limiter.

Flask-Limiter's default memory storage counts per process: with four gunicorn workers a
guesser would get four times the allowance, and a restart would forget. Redis or memcached
also work (a URI in ``HUB_LIMIT_STORAGE``); the database needs nothing more to run. Only the
sign-in form is limited, so this costs nothing on any other request.
"""

from __future__ import annotations

import time
from typing import Any, cast

from limits.storage import Storage
from sqlalchemy import Engine, Table, case, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from hub.models import LoginLimit

SCHEME = "hubdb"
_TABLE = cast(Table, LoginLimit.__table__)


class DatabaseStorage(Storage):
    """Fixed-window counters in the ``login_limits`` table (one upsert per counted attempt)."""

    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False,
                 **options: Any) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions)
        self.engine: Engine = options["engine"]

    @property
    def base_exceptions(self) -> type[Exception]:
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        over = _TABLE.c.expires_at <= now
        statement = dialect.insert(_TABLE).values(key=key, hits=amount, expires_at=now + expiry)
        statement = statement.on_conflict_do_update(index_elements=["key"], set_={
            "hits": case((over, amount), else_=_TABLE.c.hits + amount),
            "expires_at": case((over, now + expiry), else_=_TABLE.c.expires_at),
        }).returning(_TABLE.c.hits)
        with self.engine.begin() as conn:
            return int(conn.execute(statement).scalar_one())

    def get(self, key: str) -> int:
        with self.engine.connect() as conn:
            hits = conn.execute(select(_TABLE.c.hits).where(
                _TABLE.c.key == key, _TABLE.c.expires_at > time.time())).scalar()
        return int(hits or 0)

    def get_expiry(self, key: str) -> float:
        with self.engine.connect() as conn:
            at = conn.execute(select(_TABLE.c.expires_at).where(_TABLE.c.key == key)).scalar()
        return float(at) if at is not None else time.time()

    def check(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(select(1))
            return True
        except SQLAlchemyError:
            return False

    def reset(self) -> int | None:
        with self.engine.begin() as conn:
            return int(conn.execute(delete(_TABLE)).rowcount or 0)

    def clear(self, key: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(_TABLE).where(_TABLE.c.key == key))
