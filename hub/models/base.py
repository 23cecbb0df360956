"""The declarative base and column helpers shared by every model."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import DateTime, MetaData
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored naive-in-UTC and always read back timezone-aware (UTC).

    SQLite keeps no zone; PostgreSQL would shift by the session zone. Storing naive UTC on
    both and re-attaching UTC on read keeps comparisons identical on the two databases.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


# A span (shift, override) longer than this is flagged ``is_long``: "who holds ``at``" then
# reads the short ones by a narrow range of start times and the few long ones by their flag,
# instead of scanning every span not yet ended (or every one begun).
LONG_SPAN = timedelta(days=2)


def span_is_long(context: Any) -> bool:
    """Column default of ``is_long``: True when the row's span is longer than LONG_SPAN, or
    when the statement does not give both ends (an update of one end: safe side)."""
    params = context.get_current_parameters()
    start, end = params.get("starts_at"), params.get("ends_at")
    return start is None or end is None or end - start > LONG_SPAN


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
