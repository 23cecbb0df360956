"""The spool: webhooks kept on this host's disk while the database cannot be reached.

One file per request, named ``<arrival ns>-<kind>-<key>.req`` so names sort in order of
arrival, holding the request's form as JSON sealed with the hub's Fernet keys (the first
encrypts, any decrypts: nothing on disk shows a phone number or a word of a message). A file
appears whole or not at all: written under a temporary name, fsync'd, renamed, and the folder
fsync'd. ``key`` (a MessageSid, a CallSid, a Sid and status) keeps a Twilio retry that also
lands while the database is down from being kept twice.

Several worker processes of one host share the folder. Writers never collide (each name is
its own); one drainer at a time holds the folder's ``flock`` and takes files in order, and a
file is removed only after what it carried was committed (see ``messages.spool_intake``). The
lock dies with its process, so a drainer killed midway leaves the rest to the next one.

Bounded: past ``max_bytes`` a request is not kept (:class:`SpoolFull`) and counted in the
``lost`` file, which the next drain reports and clears.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from hub.crypto import FieldCipher

SUFFIX = ".req"
KEY = re.compile(r"[A-Za-z0-9_.-]{1,80}")
STALE_SECONDS = 600  # a write that died midway is surely over by then


class SpoolFull(Exception):
    """The spool holds ``max_bytes`` already: this request is not kept."""


@dataclass(frozen=True)
class Kept:
    """One request taken back from the spool."""

    name: str
    kind: str
    form: dict[str, str]
    at: datetime


class Spool:
    """This host's spool folder.

    >>> spool = Spool(folder, cipher, max_bytes=64 * 2**20)
    >>> spool.keep("sms", sid, request.form, utcnow())
    """

    def __init__(self, folder: Path, cipher: FieldCipher, max_bytes: int) -> None:
        self.folder = folder
        self.cipher = cipher
        self.max_bytes = max_bytes

    def _names(self) -> list[os.DirEntry[str]]:
        try:
            with os.scandir(self.folder) as entries:
                return [e for e in entries if e.name.endswith(SUFFIX) and e.is_file()]
        except FileNotFoundError:
            return []

    def waiting(self) -> bool:
        """True when requests wait to be taken in (cheap: one look at the folder)."""
        try:
            with os.scandir(self.folder) as entries:
                return any(e.name.endswith(SUFFIX) for e in entries)
        except FileNotFoundError:
            return False

    def keep(self, kind: str, key: str, form: Mapping[str, str], at: datetime) -> bool:
        """Keep one request durably; False when the same ``kind`` and ``key`` is already
        kept (a retry). Raises :class:`SpoolFull` (and counts the loss) past the bound.
        Costs the same however much the spool holds: no look at the other files."""
        if not KEY.fullmatch(key) or not kind.isalpha():
            raise ValueError("a spool key is letters, digits, '.', '_' or '-'")
        if not (self.folder / "keys").is_dir():  # the first request: the folders made durable
            (self.folder / "keys").mkdir(mode=0o700, parents=True, exist_ok=True)
            _fsync_dir(self.folder.parent)
            _fsync_dir(self.folder)
        marker = self.folder / "keys" / f"{kind}-{key}"
        try:  # the claim on this Sid: a retry, in any worker, finds it taken
            os.close(os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            return False
        try:
            token = self.cipher.encrypt(json.dumps(
                {"kind": kind, "form": dict(form), "at": at.isoformat()})).encode("ascii")
            with self._locked(".bytes") as fd:
                used = _read_count(fd)
                if used + len(token) > self.max_bytes:
                    self._add_to(".lost", 1)
                    raise SpoolFull(f"the spool holds {self.max_bytes // 2**20} MB already")
                _write_count(fd, used + len(token))
            name = f"{time.time_ns():020d}-{kind}-{key}{SUFFIX}"
            temp = self.folder / f".tmp-{os.getpid()}-{name}"
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                os.write(fd, token)
                os.fsync(fd)
            finally:
                os.close(fd)
            os.rename(temp, self.folder / name)
            _fsync_dir(self.folder)
        except BaseException:
            marker.unlink(missing_ok=True)  # not kept: a retry may try again
            raise
        return True

    def _add_to(self, counter: str, delta: int) -> int:
        with self._locked(counter) as fd:
            value = max(0, _read_count(fd) + delta)
            _write_count(fd, value)
        return value

    def has_losses(self) -> bool:
        try:
            return (self.folder / ".lost").stat().st_size > 0
        except FileNotFoundError:
            return False

    def lost(self) -> int:
        """How many requests the full spool could not keep (since :meth:`forget_lost`)."""
        if not self.has_losses():
            return 0
        with self._locked(".lost") as fd:
            return _read_count(fd)

    def forget_lost(self, reported: int) -> None:
        """Take ``reported`` losses off the count (those since counted stay)."""
        if reported:
            self._add_to(".lost", -reported)

    @contextmanager
    def _locked(self, name: str) -> Iterator[int]:
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(self.folder / name, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield fd
        finally:
            os.close(fd)  # releases the lock

    @contextmanager
    def draining(self) -> Iterator[list[str] | None]:
        """Hold this host's drain lock and yield the kept names in order of arrival; None
        when another process of the host is draining now."""
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(self.folder / ".drain.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield None
                return
            yield sorted(e.name for e in self._names())
        finally:
            os.close(fd)  # releases the lock

    def read(self, name: str) -> Kept:
        """The request in ``name`` (raises ``crypto.Undecryptable`` for a foreign key)."""
        record = json.loads(self.cipher.decrypt((self.folder / name).read_text("ascii")))
        return Kept(name, record["kind"], record["form"], datetime.fromisoformat(record["at"])
                    .astimezone(UTC))

    def done(self, name: str) -> None:
        """Remove a request once what it carried is committed."""
        self._remove(name, None)

    def set_aside(self, name: str) -> Path:
        """Move a request that cannot be taken in to ``failed/`` (still encrypted)."""
        failed = self.folder / "failed"
        failed.mkdir(mode=0o700, exist_ok=True)
        self._remove(name, failed / name)
        return failed / name

    def _remove(self, name: str, to: Path | None) -> None:
        path = self.folder / name
        size = path.stat().st_size
        if to is None:
            path.unlink()
        else:
            os.rename(path, to)
        _fsync_dir(self.folder)
        kind_and_key = name.split("-", 1)[1].removesuffix(SUFFIX)
        (self.folder / "keys" / kind_and_key).unlink(missing_ok=True)
        self._add_to(".bytes", -size)

    def tidy(self) -> None:
        """After a drain (its lock held): clear what writers that died midway left (their
        webhook got no answer either), and make the byte count exact again."""
        cutoff = time.time() - STALE_SECONDS
        kept = self._names()
        present = {e.name.split("-", 1)[1].removesuffix(SUFFIX) for e in kept}
        for folder, stale in ((self.folder, lambda n: n.startswith(".tmp-")),
                              (self.folder / "keys", lambda n: n not in present)):
            if not folder.is_dir():
                continue
            with os.scandir(folder) as entries:
                for entry in entries:
                    if stale(entry.name) and entry.stat().st_mtime < cutoff:
                        os.unlink(entry.path)
        with self._locked(".bytes") as fd:
            _write_count(fd, sum(e.stat().st_size for e in kept))

def _fsync_dir(folder: Path) -> None:
    """Make a file's creation, rename or removal in ``folder`` survive a power cut."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _read_count(fd: int) -> int:
    return int(os.pread(fd, 32, 0) or b"0")


def _write_count(fd: int, value: int) -> None:
    # Not fsync'd: a count a power cut takes back is made exact again by the next drain.
    os.ftruncate(fd, 0)
    if value:
        os.pwrite(fd, str(value).encode(), 0)
