"""What the database's keys were: a check value for each, written when first used."""

from __future__ import annotations

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from hub.crypto import Encrypted
from hub.models.base import Base


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
