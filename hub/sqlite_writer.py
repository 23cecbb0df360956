"""SQLite's one writer, queued for in the kernel instead of in the driver's sleeping retries.

SQLite lets one transaction write at a time. A second ``BEGIN IMMEDIATE`` finds the database
locked and its busy handler sleeps and retries in growing steps (1, 2, 5, 10 ... up to 100
ms): under a burst, a webhook whose turn came after 2 ms slept 50 or 100 all the same, and
the slowest waited most of a second. So every write transaction of the hub first takes an
exclusive ``flock`` on a file beside the database (``hub.db.write-lock``), one open file per
connection: the processes and threads of this host then queue in the kernel and the next one
wakes the moment the last one commits or rolls back. SQLite's own lock still guards the data;
this only orders the writers (a writer without it, such as another tool, is still waited for
by the busy handler as before).

A thread that already holds the lock through another connection (a write inside a write,
which SQLite itself would refuse until the first ends) does not take it again: it waits in
the busy handler as before, rather than for itself.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
from typing import Any

_holders: dict[int, int] = {}  # thread ident -> write turns it holds now (0 or 1 nearly always)
_holders_lock = threading.Lock()


def _count(thread: int, change: int) -> int:
    with _holders_lock:
        now = max(_holders.get(thread, 0) + change, 0)
        if now:
            _holders[thread] = now
        else:
            _holders.pop(thread, None)
        return now


class WriterConnection(sqlite3.Connection):
    """A sqlite3 connection that takes its write turn before ``BEGIN IMMEDIATE`` and gives it
    back when the transaction ends (commit, rollback or close)."""

    lock_path: str | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._lock_fd: int | None = None
        self._turn: int | None = None  # the thread that took the turn

    def take_write_turn(self) -> None:
        """Wait (in the kernel, without polling) until no other writer of this host holds
        the database, then hold it until this transaction ends."""
        thread = threading.get_ident()
        if self.lock_path is None or self._turn is not None or _count(thread, 0):
            return
        if self._lock_fd is None:
            self._lock_fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        fcntl.flock(self._lock_fd, fcntl.LOCK_EX)  # releases the GIL while it waits
        self._turn = thread
        _count(thread, +1)

    def _end_turn(self) -> None:
        if self._turn is not None and self._lock_fd is not None:
            _count(self._turn, -1)
            self._turn = None
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._end_turn()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._end_turn()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._end_turn()
            if self._lock_fd is not None:
                os.close(self._lock_fd)
                self._lock_fd = None


def factory(lock_path: str | None) -> type[WriterConnection]:
    """The connection class for a database whose write lock file is ``lock_path`` (None: an
    in-memory database, nothing to share)."""
    return type("WriterConnection", (WriterConnection,), {"lock_path": lock_path})
