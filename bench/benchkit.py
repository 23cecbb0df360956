"""Parts of the webhook benchmark: signed requests, a threaded load generator, percentiles,
gunicorn servers in their own process group, and a throwaway PostgreSQL database.

Nothing here knows the hub's internals; :mod:`webhook_bench` puts the parts together.
"""

from __future__ import annotations

import http.client
import itertools
import json
import math
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from twilio.request_validator import RequestValidator


@dataclass(frozen=True)
class Shot:
    """One prepared webhook: its MessageSid, form body and signature (built before timing)."""

    sid: str
    body: bytes
    signature: str


@dataclass
class Result:
    """What happened to one shot: when it was sent (monotonic), how long it took, the status."""

    sid: str
    start: float
    latency: float
    status: int  # 0 when the request failed without an HTTP answer
    error: str | None = None


def build_shots(n: int, url: str, token: str, params: dict[str, str]) -> list[Shot]:
    """``n`` signed SMS webhooks, each with a fresh MessageSid, as Twilio would send them."""
    validator = RequestValidator(token)
    shots = []
    for _ in range(n):
        form = {**params, "MessageSid": "SM" + uuid.uuid4().hex}
        shots.append(Shot(form["MessageSid"], urllib.parse.urlencode(form).encode(),
                          validator.compute_signature(url, form)))
    return shots


def post_once(conn: http.client.HTTPConnection, path: str, shot: Shot) -> Result:
    """Send one shot on ``conn`` (reconnecting as needed) and read the whole answer."""
    start = time.monotonic()
    try:
        conn.request("POST", path, body=shot.body, headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": shot.signature,
        })
        response = conn.getresponse()
        response.read()
        status, error = response.status, None
        if response.will_close:
            conn.close()
    except (OSError, http.client.HTTPException) as exc:
        conn.close()
        status, error = 0, type(exc).__name__
    return Result(shot.sid, start, time.monotonic() - start, status, error)


def fire(port: int, path: str, shots: list[Shot], concurrency: int,
         reuse: bool = True) -> tuple[list[Result], float]:
    """Send every shot from ``concurrency`` threads as fast as answers come, each thread on
    one kept-alive connection, or (``reuse=False``) on a new connection per shot.

    Returns (results, wall seconds).
    """
    counter = itertools.count()
    results: list[Result] = []
    lock = threading.Lock()

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = []
        while (i := next(counter)) < len(shots):
            mine.append(post_once(conn, path, shots[i]))
            if not reuse:
                conn.close()  # the next request connects afresh
        conn.close()
        with lock:
            results.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, time.monotonic() - began


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile (None for no values)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def distribution_ms(seconds: list[float]) -> dict[str, float | int | None]:
    """p50/p95/p99/max (and count) in milliseconds."""
    ms = [s * 1000 for s in seconds]
    return {"count": len(ms), "p50_ms": percentile(ms, 50), "p95_ms": percentile(ms, 95),
            "p99_ms": percentile(ms, 99), "max_ms": max(ms) if ms else None}


def summarize(results: list[Result], wall: float) -> dict[str, object]:
    """Throughput, latency percentiles and errors of one load phase."""
    ok = [r for r in results if r.status == 200]
    errors = Counter(r.error or str(r.status) for r in results if r.status != 200)
    return {"requests": len(results), "wall_s": wall,
            "throughput_rps": len(results) / wall if wall else None,
            **distribution_ms([r.latency for r in ok]),
            "errors": sum(errors.values()), "error_kinds": dict(errors)}


def machine_cpu_seconds() -> tuple[float, float]:
    """(busy, all) CPU seconds of the whole machine since boot, from /proc/stat: the
    difference of two readings says how much of every CPU was in use in between."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    idle = fields[3] + fields[4]  # idle + iowait
    tick = os.sysconf("SC_CLK_TCK")
    return (sum(fields) - idle) / tick, sum(fields) / tick


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class StartError(RuntimeError):
    """A server did not come up; the message holds the tail of its log."""


def log_tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@dataclass
class Gunicorn:
    """``gunicorn -w N -b 127.0.0.1:port APP`` in a process group of its own, logging to a file."""

    app: str
    port: int
    cwd: Path
    env: dict[str, str]
    log_path: Path
    workers: int = 2
    extra: list[str] = field(default_factory=list)
    proc: subprocess.Popen[bytes] | None = None

    def start(self, health_path: str = "/healthz", timeout: float = 60.0) -> Gunicorn:
        """Start and wait until ``health_path`` answers 200 on every worker's socket."""
        command = [sys.executable, "-m", "gunicorn", "-w", str(self.workers),
                   "-b", f"127.0.0.1:{self.port}", "--graceful-timeout", "5",
                   *self.extra, self.app]
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(command, cwd=self.cwd, env=self.env, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise StartError(f"gunicorn exited with {self.proc.returncode}:\n"
                                 + log_tail(self.log_path))
            if len(self.worker_pids()) >= self.workers and self._healthy(health_path):
                return self
            time.sleep(0.2)
        self.stop()
        raise StartError("gunicorn did not answer in time:\n" + log_tail(self.log_path))

    def _healthy(self, path: str) -> bool:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        try:
            conn.request("GET", path)
            return conn.getresponse().status == 200
        except OSError:
            return False
        finally:
            conn.close()

    def worker_pids(self) -> list[int]:
        """The master's children (the workers), read from /proc."""
        if self.proc is None:
            return []
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.proc.pid:
                children.append(int(stat.parent.name))
        return sorted(children)

    def cpu_seconds(self) -> float:
        """User + system CPU of the master and its workers so far (all their threads)."""
        if self.proc is None:
            return 0.0
        total = 0
        for pid in [self.proc.pid, *self.worker_pids()]:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        """SIGTERM the whole process group, SIGKILL it if it lingers."""
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=5)
        except ProcessLookupError:
            pass


@dataclass
class Background:
    """A long-running command (the hub's scheduler) in a process group of its own."""

    command: list[str]
    cwd: Path
    env: dict[str, str]
    log_path: Path
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Background:
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(self.command, cwd=self.cwd, env=self.env, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        return self

    def pause(self) -> None:
        """Stop the whole process group (SIGSTOP) until :meth:`resume`."""
        if self.proc is not None:
            os.killpg(self.proc.pid, signal.SIGSTOP)

    def resume(self) -> None:
        if self.proc is not None:
            os.killpg(self.proc.pid, signal.SIGCONT)

    def cpu_seconds(self) -> float:
        if self.proc is None:
            return 0.0
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        os.killpg(self.proc.pid, signal.SIGCONT)  # a paused process acts on the SIGTERM
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=5)


PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
RESULTS = Path(__file__).resolve().parent / "results"


def write_result(name: str, data: object) -> Path:
    """Write a benchmark's figures to bench/results/<name>.json (git-ignored)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(data, indent=2) + "\n")
    return path


def scratch_database(kind: str, name: str) -> tuple[str, PostgresDatabase | None]:
    """A fresh database for one run: its URL, and the PostgreSQL database to drop afterwards
    (None for a SQLite file in a new temporary folder)."""
    if kind == "postgresql":
        database = PostgresDatabase(PG_ADMIN_URL)
        return database.url, database
    return f"sqlite:///{tempfile.mkdtemp()}/{name}.db", None


class PostgresDatabase:
    """A fresh database ``hub_bench_<random>`` on the local server, dropped by :meth:`drop`."""

    def __init__(self, admin_url: str) -> None:
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url

        self.name = f"hub_bench_{uuid.uuid4().hex[:12]}"
        self._text = text
        self._admin = create_engine(admin_url, isolation_level="AUTOCOMMIT",
                                    connect_args={"connect_timeout": 5})
        with self._admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.name}"'))
        self.url = make_url(admin_url).set(database=self.name).render_as_string(
            hide_password=False)

    def drop(self) -> None:
        with self._admin.connect() as conn:
            conn.execute(self._text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"
            ), {"n": self.name})
            conn.execute(self._text(f'DROP DATABASE IF EXISTS "{self.name}"'))
        self._admin.dispose()


class Profiler:
    """py-spy (when installed) recording each given pid, raw collapsed stacks, until stopped."""

    def __init__(self, pids: list[int], out_dir: Path, label: str, wall: bool) -> None:
        self.procs: list[subprocess.Popen[bytes]] = []
        self.files: list[Path] = []
        mode = ["--idle"] if wall else []  # wall: sleeping and lock-waiting threads too
        for pid in pids:
            path = out_dir / f"{label}-{'wall' if wall else 'cpu'}-{pid}.txt"
            self.procs.append(subprocess.Popen(
                ["py-spy", "record", "--pid", str(pid), *mode, "--threads", "--rate", "100",
                 "--format", "raw", "--output", str(path)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            self.files.append(path)

    def stop(self) -> list[Path]:
        for proc in self.procs:
            proc.send_signal(signal.SIGINT)
        for proc in self.procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        return [p for p in self.files if p.exists()]


def test_client_hub(url: str, workdir: Path, **extra: str):  # type: ignore[no-untyped-def]
    """The hub for a benchmark through Flask's test client: fresh keys, a Twilio account
    whose outbound stays in the local outbox, no scheduler thread; ``extra`` settings on top."""
    from cryptography.fernet import Fernet

    from app import create_app

    return create_app({
        "HUB_DATABASE_URL": url, "HUB_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "HUB_INDEX_KEY": "bench-index-key-0123456789", "HUB_SECRET_KEY": "bench-secret",
        "HUB_INSTANCE_DIR": str(workdir / "instance"), "HUB_SCHEDULER": "off",
        "TWILIO_ACCOUNT_SID": "AC" + "3" * 32, "TWILIO_AUTH_TOKEN": "bench-token",
        "HUB_OUTBOUND": "outbox", **extra})
