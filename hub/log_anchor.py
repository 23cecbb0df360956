"""Checkpoints of the contact log's head, kept where the database cannot rewrite them.

The chain shows any change to an entry, but someone who deletes the last entries and sets the
head row back leaves a shorter chain that holds. A checkpoint (sequence, MAC, UTC time) kept
outside the database, appended to a file in ``HUB_LOG_CHECKPOINT_DIR`` and optionally sent to
syslog, is what ``hub verify-log`` holds the log against.

The file is the only state: any engine process may write (one ``write`` of one line to a file
opened for appending, then fsync, so lines never interleave or tear), and the file's
modification time says when the head was last looked at, so an idle log costs one ``stat``
per tick. Two processes on one host may both write the same checkpoint: harmless. A head
that does not descend from the last checkpoint (the tail was cut) gets no checkpoint, so the
evidence stands.
"""

from __future__ import annotations

import functools
import logging
import logging.handlers
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hub.models import LogEntry, LogHead

log = logging.getLogger(__name__)

FILE_NAME = "log-checkpoints.txt"
TAIL_BYTES = 4096  # the last line is far shorter: "seq mac-hex time"


@dataclass(frozen=True)
class Checkpoint:
    """The log's head as it was at ``at`` (UTC)."""

    seq: int
    mac: str
    at: datetime

    def line(self) -> str:
        return f"{self.seq} {self.mac} {self.at.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}\n"

    @classmethod
    def parse(cls, line: str) -> Checkpoint | None:
        """The checkpoint a line holds, or None for one that is not a checkpoint."""
        parts = line.split()
        if len(parts) != 3 or not parts[0].isdigit() or len(parts[1]) != 64:
            return None
        try:
            at = datetime.strptime(parts[2], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        except ValueError:
            return None
        return cls(int(parts[0]), parts[1], at)


def last(folder: Path) -> Checkpoint | None:
    """The newest checkpoint in ``folder`` (None when there is none yet)."""
    path = folder / FILE_NAME
    try:
        with path.open("rb") as fh:
            fh.seek(max(0, fh.seek(0, os.SEEK_END) - TAIL_BYTES))
            tail = fh.read().decode("ascii", errors="replace")
    except FileNotFoundError:
        return None
    for line in reversed(tail.splitlines()):
        found = Checkpoint.parse(line)
        if found is not None:
            return found
    return None


def append(folder: Path, checkpoint: Checkpoint) -> None:
    """Add one line to the file, on disk before this returns."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(folder / FILE_NAME, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, checkpoint.line().encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)


def _due(folder: Path, now: datetime, every_minutes: int) -> bool:
    try:
        looked = os.stat(folder / FILE_NAME).st_mtime
    except FileNotFoundError:
        return True
    return now.timestamp() - looked >= every_minutes * 60


def _looked(folder: Path, now: datetime) -> None:
    """Note in the file's modification time that the head was looked at ``now``: the next
    look is a period away, in every process on this host."""
    os.utime(folder / FILE_NAME, (now.timestamp(), now.timestamp()))


@functools.lru_cache(maxsize=4)
def _syslog(address: str) -> logging.Logger:
    """A logger that sends to syslog at ``address`` (a socket path, or host:port over UDP)."""
    if address.startswith("/"):
        target: str | tuple[str, int] = address
    else:
        host, _, port = address.rpartition(":")
        target = (host, int(port))
    logger = logging.getLogger(f"hub.log_checkpoint.{address}")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    handler = logging.handlers.SysLogHandler(
        address=target, facility=logging.handlers.SysLogHandler.LOG_AUTH)
    handler.setFormatter(logging.Formatter("careline-hub: %(message)s"))
    logger.addHandler(handler)
    return logger


def write_if_due(sessions: sessionmaker[Session], folder: Path, every_minutes: int,
                 now: datetime, syslog: str | None = None) -> int:
    """Checkpoint the head when ``every_minutes`` have passed since it was last looked at and
    it has moved since the last checkpoint; return how many were written (0 or 1).

    A folder or syslog that cannot be written is logged, never raised: paging goes on."""
    try:
        return _write_if_due(sessions, folder, every_minutes, now, syslog)
    except OSError as exc:
        log.error("HUB_LOG_CHECKPOINT_DIR: cannot write the log's checkpoint in %s (%s)",
                  folder, exc.strerror or type(exc).__name__)
        return 0


def _write_if_due(sessions: sessionmaker[Session], folder: Path, every_minutes: int,
                  now: datetime, syslog: str | None) -> int:
    if not _due(folder, now, every_minutes):
        return 0
    previous = last(folder)
    with sessions() as session:
        head = session.execute(select(LogHead.seq, LogHead.mac).where(LogHead.id == 1)).first()
        kept = None if previous is None else session.scalar(
            select(LogEntry.mac).where(LogEntry.seq == previous.seq))
    if head is None or head.seq == 0 or (
            previous is not None and (previous.seq, previous.mac) == (head.seq, head.mac)):
        if previous is not None:
            _looked(folder, now)
        return 0
    if previous is not None and kept != previous.mac:
        # The tail was cut (or the log replaced) since the last checkpoint. A new checkpoint
        # would hide that from `hub verify-log`, which holds the log against the last one:
        # the last one stands until someone has looked.
        _looked(folder, now)
        log.error("HUB_LOG_CHECKPOINT_DIR: the log no longer holds entry %s as the checkpoint "
                  "of %s saw it; no new checkpoint until this is explained (run hub "
                  "verify-log; after restoring a backup, move %s aside)", previous.seq,
                  f"{previous.at:%Y-%m-%d %H:%M} UTC", folder / FILE_NAME)
        return 0
    checkpoint = Checkpoint(head.seq, head.mac, now)
    append(folder, checkpoint)
    _looked(folder, now)
    if syslog:
        _syslog(syslog).info("log checkpoint %s", checkpoint.line().strip())
    return 1
