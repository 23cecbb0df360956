"""What the database's keys were: a check value for each, written when first used."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from hub.crypto import Encrypted
from hub.models.base import Base, UTCDateTime


class KeyCheck(Base):
    """The one row (id 1) that tells for certain whether a process holds this database's keys.

    ``index_check`` is HMAC(HUB_INDEX_KEY, a fixed label): the index key is never rotated, so
    it never changes. ``encryption_check`` is the label encrypted like any field, so it
    decrypts only with the keys the data was written with, and ``hub rotate-keys`` moves it
    to the new key with everything else. Neither says anything about a key to whoever reads
    the table.
    """

    __tablename__ = "key_checks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    index_check: Mapped[str] = mapped_column(String(64))
    encryption_check: Mapped[str] = mapped_column(Encrypted)


class KeySplit(Base):
    """Whether the data written under HUB_INDEX_KEY itself has moved to the derived keys.

    A database that held data when migration 0017 ran gets this row with ``split_at`` empty:
    every keyed hash and MAC in it is under the undivided key. The first process to start
    then re-hashes the phone numbers and birth dates under the derived index key and notes
    the last log entry MACed the old way (``log_undivided_until``): the entries up to it keep
    their MACs (rewriting them would erase the very evidence the chain exists for, and every
    checkpoint already written outside the database), the next one is chained under the log's
    own key. No row: a database made after the split, everything under the derived keys.
    """

    __tablename__ = "key_split"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    split_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    log_undivided_until: Mapped[int | None] = mapped_column(Integer)
