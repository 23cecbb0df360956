"""Webhook benchmark: the hub's /twilio/sms under gunicorn against a bare Flask endpoint.

One run measures, on this machine:

1. a bare Flask app answering /twilio/sms with fixed TwiML (``bench/bare_app.py``), served by
   ``gunicorn -w 2`` (gthread, 4 threads, unless ``--threads``): throughput and p50/p95/p99
   latency of N signed POSTs from C client threads, each on a new connection as Twilio's
   arrive (``--connections reused`` keeps one per thread);
2. the full hub under the same gunicorn (``'app:create_app()'`` from the repo root),
   configured only by environment variables, against a fresh PostgreSQL database (or SQLite
   file), paging through a loopback fake Twilio REST API (``tests/fake_twilio.py``) from a
   separate ``hub scheduler`` process, paused during the load unless ``--engine-during-load
   run`` (the web tier measured alone, as with an engine on cores of its own): the same load,
   same figures;
3. webhook -> page: the time from starting a webhook until the page SMS to the on-call nurse
   reaches the fake Twilio API, (a) one webhook at a time and (b) for every webhook of the
   load phase (each page is matched to its webhook through the contact's ref).

It prints a table, the ratio and PASS/FAIL per goal (a FAIL does not fail the process) and
writes ``bench/results/webhook.json``; the load generator shares the servers' machine.

    python bench/webhook_bench.py [--requests 2000] [--shape both|embedded|production]
        [--db postgresql|sqlite] [--engine inline|separate] [--engine-during-load pause|run]
        [--threads 4] [--connections per-webhook|reused] [--sms-limit shipped|off]
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import re
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

from benchkit import (
    Background,
    Gunicorn,
    PostgresDatabase,
    Profiler,
    Result,
    StartError,
    build_shots,
    distribution_ms,
    fire,
    free_port,
    log_tail,
    machine_cpu_seconds,
    post_once,
    summarize,
)
from page_timing import PAGES, ben_pages, next_page_delay, page_arrivals, refs_by_sid, wait_pages
from routed_pages import RoutedLog
from webhook_options import parse_args, shapes_of
from webhook_report import judge, report  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
POLICY = ROOT / "config" / "escalation.toml"  # as shipped
PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PATH = "/twilio/sms"
ACCOUNT_SID = "AC" + "b" * 32
AUTH_TOKEN = "bench-auth-token-" + uuid.uuid4().hex
PRACTICE_NUMBER = "+12025550100"
# gunicorn's own errors, and the hub's (printed bare by logging's last-resort handler).
ERROR_LINE = re.compile(r"\[ERROR\]|failed|not sent|unhandled|locked", re.IGNORECASE)


sys.path.insert(0, str(ROOT))  # the hub's modules and tests/ (fake Twilio, the practice)


def hub_settings(database_url: str, port: int, twilio_url: str, instance: Path,
                 sms_limit: str = "off") -> dict[str, str]:
    """Every setting the hub runs with, as environment variables."""
    from cryptography.fernet import Fernet

    return {
        "HUB_DATABASE_URL": database_url,
        "HUB_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "HUB_INDEX_KEY": "bench-index-" + uuid.uuid4().hex,
        "HUB_SECRET_KEY": "bench-secret-" + uuid.uuid4().hex,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_PHONE_NUMBER": PRACTICE_NUMBER,
        "HUB_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "HUB_TWILIO_API_URL": twilio_url,
        "HUB_INSTANCE_DIR": str(instance),
        "HUB_SCHEDULER": "on",
        "HUB_ESCALATION_POLICY": str(bench_policy(instance) if sms_limit == "off" else POLICY),
    }


def bench_policy(instance: Path) -> Path:
    """The shipped policy without its SMS limit (``--sms-limit off``): each page SMS timed."""
    shipped = POLICY.read_text(encoding="utf-8")
    path = instance.parent / "bench_escalation.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(shipped + "\n[limits]\nsms_per_person = 1000000\n", encoding="utf-8")
    return path


def server_env(settings: dict[str, str]) -> dict[str, str]:
    """This process's environment without any HUB_/TWILIO_ setting of its own, plus ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HUB_", "TWILIO_"))}
    return {**env, **settings, "PYTHONUNBUFFERED": "1"}


def seed_practice(settings: dict[str, str], then=None, **options: bool) -> None:  # type: ignore[no-untyped-def]
    """Migrate and seed the practice with the hub's own code (scheduler off in this process);
    ``options`` go to :func:`tests.practice.seed`, ``then(session, practice)`` adds to it."""
    from app import create_app
    from tests.practice import seed

    app = create_app({**settings, "HUB_SCHEDULER": "off"})
    rt = app.extensions["hub"]
    with rt.sessions() as session:
        practice = seed(session, **options)
        if then is not None:
            then(session, practice)
    rt.engine.dispose()


def sequential_pages(port: int, shots: list, gap: float, before, page_delay  # type: ignore[no-untyped-def,type-arg]
                     ) -> tuple[list[Result], list[float]]:
    """One webhook at a time: ``before()`` is read before each is sent, then
    ``page_delay(shot, result, that reading)`` says how long its page took (None: none came)."""
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    results, delays = [], []
    for shot in shots:
        seen = before()
        result = post_once(conn, PATH, shot)
        results.append(result)
        if (delay := page_delay(shot, result, seen)) is not None:
            delays.append(delay)
        time.sleep(gap)
    conn.close()
    return results, delays


def gunicorn_threads(args: argparse.Namespace) -> list[str]:
    return ["--threads", str(args.threads)] if args.threads > 1 else []


def machine_busy(since: tuple[float, float]) -> float:
    """How many of the machine's CPUs were busy (on average) since the reading ``since``."""
    busy, total = machine_cpu_seconds()
    elapsed = total - since[1]
    return (busy - since[0]) / elapsed * (os.cpu_count() or 1) if elapsed else 0.0


def run_bare(args: argparse.Namespace, tmp: Path, shots_for) -> dict:  # type: ignore[no-untyped-def,type-arg]
    reuse = args.connections == "reused"
    port = free_port()
    server = Gunicorn("bare_app:create_app()", port, ROOT, server_env({}),
                      tmp / "bare-gunicorn.log", args.workers,
                      ["--chdir", str(ROOT / "bench"), *gunicorn_threads(args)])
    try:
        server.start()
        url = f"http://127.0.0.1:{port}{PATH}"
        fire(port, PATH, shots_for(url, args.warmup), args.concurrency, reuse)
        shots = shots_for(url, args.requests)
        cpu0, client0, machine0 = server.cpu_seconds(), time.process_time(), machine_cpu_seconds()
        results, wall = fire(port, PATH, shots, args.concurrency, reuse)
        return {**summarize(results, wall), "server_cpu_s": server.cpu_seconds() - cpu0,
                "client_cpu_s": time.process_time() - client0,
                "machine_busy": machine_busy(machine0)}
    finally:
        server.stop()


def run_hub(args: argparse.Namespace, tmp: Path, shots_for) -> dict:  # type: ignore[no-untyped-def,type-arg]
    from tests.fake_twilio import FakeTwilio

    reuse = args.connections == "reused"

    fake = FakeTwilio().start()
    database = PostgresDatabase(PG_ADMIN_URL) if args.db == "postgresql" else None
    database_url = database.url if database else f"sqlite:///{tmp / 'hub.db'}"
    port = free_port()
    settings = {**hub_settings(database_url, port, fake.url, tmp / "instance", args.sms_limit),
                "HUB_ENGINE": args.engine}
    log_path = tmp / "hub-gunicorn.log"
    server = Gunicorn("app:create_app()", port, ROOT, server_env(settings), log_path,
                      args.workers, gunicorn_threads(args))
    scheduler = [str(Path(sys.executable).with_name("hub")), "scheduler"]
    engine = (Background(["nice", "-n", str(args.engine_nice), *scheduler], ROOT,
                         server_env(settings), log_path)
              if args.engine == "separate" else None)
    out: dict = {}  # type: ignore[type-arg]
    routed_log = RoutedLog(database_url) if args.sms_limit == "shipped" else None
    try:
        seed_practice(settings)
        server.start()
        if engine:
            engine.start()
        url = settings["HUB_PUBLIC_URL"] + PATH
        warm = fire(port, PATH, shots_for(url, args.warmup), args.concurrency, reuse)[0]
        wait_pages(fake, sum(r.status == 200 for r in warm), timeout=30, quiet=10)

        # Load: N webhooks from C threads; then wait for every page they owe the nurse.
        shots = shots_for(url, args.requests)
        before = len(ben_pages(fake))
        engine_pids = [engine.proc.pid] if engine and engine.proc else []
        profiler = (Profiler(server.worker_pids() + engine_pids, RESULTS, f"pyspy-{args.db}",
                             wall=args.profile == "wall")
                    if args.profile and shutil.which("py-spy") else None)
        cpu0, client0, machine0 = server.cpu_seconds(), time.process_time(), machine_cpu_seconds()
        engine0 = engine.cpu_seconds() if engine else 0.0
        paused = engine is not None and args.engine_during_load == "pause"
        if paused:
            engine.pause()
        results, wall = fire(port, PATH, shots, args.concurrency, reuse)
        load_end = time.monotonic()
        if paused:
            engine.resume()
        out["hub"] = {**summarize(results, wall), "server_cpu_s": server.cpu_seconds() - cpu0,
                      "client_cpu_s": time.process_time() - client0,
                      "machine_busy": machine_busy(machine0)}
        if engine:
            out["hub"]["engine_cpu_s_during_load"] = engine.cpu_seconds() - engine0
        expected = sum(r.status == 200 for r in results)
        if routed_log:
            return _routed_figures(args, out, routed_log, results, load_end, engine, engine0,
                                   profiler, port, shots_for, url, database_url)
        pages = wait_pages(fake, before + expected, timeout=120, quiet=15)[before:]
        if engine:
            out["hub"]["engine_cpu_s_load_to_last_page"] = engine.cpu_seconds() - engine0
        if profiler:
            out["profiles"] = [str(p) for p in profiler.stop()]
        out["pages_under_load"] = {
            "expected": expected, "received": len(pages),
            "last_after_load_end_ms": (max(p.at for p in pages) - load_end) * 1000
            if pages else None,
        }

        # One at a time: webhook -> page with nothing else going on.
        paced = shots_for(url, args.page_samples)
        seq_results, delays = sequential_pages(port, paced, args.gap_ms / 1000,
                                               lambda: len(ben_pages(fake)),
                                               functools.partial(next_page_delay, fake))
        out["page_sequential"] = {**distribution_ms(delays), "sent": len(paced),
                                  "webhook_errors": sum(r.status != 200 for r in seq_results),
                                  "webhook": distribution_ms([r.latency for r in seq_results])}

        # Every load-phase webhook matched to its page through the contact's ref.
        refs = refs_by_sid(database_url)
        arrivals, repeats = page_arrivals(ben_pages(fake), set(refs.values()))
        matched = [arrivals[refs[r.sid]] - r.start for r in results
                   if r.sid in refs and refs[r.sid] in arrivals]
        out["pages_under_load"].update(distribution_ms(matched))
        out["pages_under_load"]["repeated_pages"] = repeats
        out["contacts_stored"] = len(refs)
    except StartError as exc:
        print(f"the hub did not start: {exc}", file=sys.stderr)
        raise
    finally:
        if routed_log:
            routed_log.close()
        server.stop()
        if engine:
            engine.stop()
        fake.stop()
        if database:
            database.drop()
        log = log_path.read_text(errors="replace") if log_path.exists() else ""
        out["server_log"] = {
            "tracebacks": log.count("Traceback"),
            "database_locked": log.count("database is locked"),
            "errors": sum(bool(ERROR_LINE.search(line)) for line in log.splitlines()),
        }
        if out["server_log"]["tracebacks"] or out["server_log"]["errors"]:
            print(f"--- hub gunicorn log (tail) ---\n{log_tail(log_path, 60)}\n---")
    return out


def _routed_figures(args, out, routed_log, results, load_end, engine, engine0, profiler,  # type: ignore[no-untyped-def]
                    port, shots_for, url, database_url) -> dict:  # type: ignore[type-arg]
    """With the shipped policy: each webhook until the log says its contact was routed and
    paged (or its page held and bundled per the limits), under load and one at a time."""
    wall = time.time() - time.monotonic()  # the log's clock is the wall clock
    sids = [r.sid for r in results if r.status == 200]
    routed, all_seen = routed_log.wait(sids, timeout=120, quiet=15, every=0.05)
    if engine:
        out["hub"]["engine_cpu_s_load_to_last_page"] = engine.cpu_seconds() - engine0
    if profiler:
        out["profiles"] = [str(p) for p in profiler.stop()]
    # Under load only when the last was routed, as the poll saw it: a pass's log entries carry
    # the time the pass began, before contacts that arrived during it.
    out["pages_under_load"] = {
        "expected": len(sids), "received": len(routed), "repeated_pages": 0,
        "last_after_load_end_ms": max(0.0, all_seen - load_end) * 1000 if routed else None,
        **distribution_ms([])}

    def routed_delay(shot, result, _before) -> float | None:  # type: ignore[no-untyped-def]
        found, _ = routed_log.wait([shot.sid], timeout=5.0, every=0.005)
        return found[shot.sid] - (result.start + wall) if shot.sid in found else None

    paced = shots_for(url, args.page_samples)
    answered, delays = sequential_pages(port, paced, args.gap_ms / 1000, lambda: None,
                                        routed_delay)
    out["page_sequential"] = {**distribution_ms(delays), "sent": len(paced),
                              "webhook_errors": sum(r.status != 200 for r in answered),
                              "webhook": distribution_ms([r.latency for r in answered])}
    out["contacts_stored"] = len(refs_by_sid(database_url))
    return out


def main(argv: list[str] | None = None) -> int:
    runs = [run_shape(args) for args in shapes_of(parse_args(argv, __doc__.split("\n\n")[0]))]
    (RESULTS / "webhook.json").write_text(json.dumps(runs, indent=2, default=str) + "\n")
    print(f"\nresults: {RESULTS / 'webhook.json'}")
    return 0


def run_shape(args: argparse.Namespace) -> dict:  # type: ignore[type-arg]
    """The bare endpoint, then the hub in one shape; its report printed and returned."""
    PAGES["resource"] = "Messages" if args.sms_limit == "off" else "Calls"
    from tests.practice import WALTER

    params = {"AccountSid": ACCOUNT_SID, "From": WALTER, "To": PRACTICE_NUMBER,
              "Body": "I feel short of breath since this morning", "NumMedia": "0"}

    def shots_for(url: str, n: int):  # type: ignore[no-untyped-def]
        return build_shots(n, url, AUTH_TOKEN, params)

    RESULTS.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="hub-bench-"))
    try:
        bare = run_bare(args, tmp, shots_for)
        hub = run_hub(args, tmp, shots_for)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    r = {"meta": {"db": args.db, "requests": args.requests, "concurrency": args.concurrency,
                  "workers": args.workers, "threads": args.threads, "engine": args.engine,
                  "engine_nice": args.engine_nice,
                  "engine_during_load": args.engine_during_load, "warmup": args.warmup,
                  "sms_limit": args.sms_limit,
                  "connections": args.connections,
                  "cpus": os.cpu_count(),
                  "python": platform.python_version(), "at": time.strftime("%Y-%m-%dT%H:%M:%S")},
         "bare": bare, **hub}
    r["ratio"] = r["hub"]["throughput_rps"] / r["bare"]["throughput_rps"]
    r["goals"] = judge(r)
    report(r)
    (RESULTS / f"webhook_{args.db}_{args.engine}.json").write_text(
        json.dumps(r, indent=2, default=str) + "\n")
    return r


if __name__ == "__main__":
    sys.exit(main())
