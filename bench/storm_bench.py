"""Storm benchmark: a minute of texts from a few numbers, each delivered twice, while the
engine pages.

The production shape: ``gunicorn -w 2 --threads 4 'app:create_app()'`` with
``HUB_ENGINE=separate`` and one ``hub scheduler`` paging throughout (not paused), on a fresh
PostgreSQL database (``--db sqlite`` optional), with the shipped escalation policy
(``config/escalation.toml``: its SMS limit, bundling and opening hours apply), a seeded
practice (Ben and Nora on primary call, Maya on backup) and ``--senders`` more patients whose
numbers send the texts. Pages go to a loopback fake Twilio REST API (``tests/fake_twilio.py``).

Load, open loop: ``--rate`` texts a second for ``--seconds``, sent on schedule whatever the
answers (a pool of client threads, a new connection per webhook), each from one of the
senders, its body drawn from ``tests/data/triage_messages.jsonl`` (``--urgent-share`` of them
urgent, the rest routine), and each sent once more with the same MessageSid and signature a
short random delay later, as Twilio retries. Per request: its latency and the second it was
sent in; p50/p95/p99 overall and per 10-second window.

Then it waits until the engine has settled (nothing received but not routed, nothing due to
send or fire, for 5 s; 120 s at most) and checks from the database and the fake Twilio API:
every MessageSid recorded exactly once; every contact routed (paged, its pages sent, bundled,
held by the limit or cancelled; or queued for opening hours); per staff number at most the
policy's SMS in any window (calls not limited), with a bundle where pages exceeded it. It
prints a table and PASS/FAIL per goal and writes ``bench/results/storm.json``. A FAIL does not
fail the process; only a crash does. The load generator shares the machine with the servers.

    python bench/storm_bench.py [--rate 50] [--seconds 60] [--senders 20] [--db postgresql|sqlite]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import shutil
import sys
import tempfile
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import storm_checks
from benchkit import (
    Background,
    Gunicorn,
    Result,
    Shot,
    build_shots,
    distribution_ms,
    fire,
    free_port,
    log_tail,
    post_once,
    scratch_database,
    summarize,
    write_result,
)
from rss_sampler import RssSampler
from webhook_bench import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    PATH,
    PRACTICE_NUMBER,
    ROOT,
    hub_settings,
    seed_practice,
    server_env,
)

POLICY = ROOT / "config" / "escalation.toml"
MESSAGES = ROOT / "tests" / "data" / "triage_messages.jsonl"
WINDOW_S = 10


@dataclass(frozen=True)
class Send:
    """One delivery of a text: when (seconds after the start), what, and whether a retry."""

    at: float
    shot: Shot
    retry: bool


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=50.0, help="texts a second (open loop)")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long the storm lasts")
    parser.add_argument("--senders", type=int, default=20, help="patient numbers texting")
    parser.add_argument("--urgent-share", type=float, default=0.2,
                        help="share of texts drawn from the urgent (emergency, crisis) ones")
    parser.add_argument("--retry-delay", type=float, default=2.0,
                        help="each text is delivered again after 0.1 s to this many seconds")
    parser.add_argument("--warmup", type=int, default=40,
                        help="texts sent first, untimed (each worker's first requests load its "
                             "models and connections); counted in every check")
    parser.add_argument("--client-threads", type=int, default=64,
                        help="client threads, enough that no send waits for an answer")
    parser.add_argument("--db", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn --threads per worker")
    parser.add_argument("--timezone", help="HUB_TIMEZONE (default the hub's): routine texts "
                        "outside the policy's opening hours there are queued, not paged")
    parser.add_argument("--settle-timeout", type=float, default=120.0)
    parser.add_argument("--window", type=float, default=WINDOW_S,
                        help="seconds per reported window (p99 judged in each)")
    parser.add_argument("--rss-every", type=float, default=10.0,
                        help="seconds between samples of the processes' resident memory")
    parser.add_argument("--seed", type=int, default=16, help="random seed of the load")
    parser.add_argument("--trace-scheduler", type=Path, metavar="DIR",
                        help="run the scheduler under tracemalloc (bench/traced_scheduler.py), "
                             "writing what grew most to DIR every TRACE_EVERY seconds; "
                             "slows the scheduler, so its figures are for memory only")
    return parser.parse_args(argv)


def sender_numbers(count: int) -> list[str]:
    """Fictional 555 numbers, none of them the test practice's own."""
    return [f"+1202555{2000 + i:04d}" for i in range(count)]


def bodies() -> tuple[list[str], list[str]]:
    """(urgent, routine) texts of the labelled triage set."""
    urgent, routine = [], []
    for line in MESSAGES.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        (routine if item["label"] == "routine" else urgent).append(item["text"])
    return urgent, routine


def plan(args: argparse.Namespace, url: str) -> list[Send]:
    """Every delivery of the storm in time order: each text, and its retry (same Sid)."""
    rng = random.Random(args.seed)
    urgent, routine = bodies()
    numbers = sender_numbers(args.senders)
    sends = []
    for i in range(int(args.rate * args.seconds)):
        at = i / args.rate
        body = rng.choice(urgent if rng.random() < args.urgent_share else routine)
        (shot,) = build_shots(1, url, AUTH_TOKEN, {
            "AccountSid": ACCOUNT_SID, "From": numbers[i % len(numbers)],
            "To": PRACTICE_NUMBER, "Body": body, "NumMedia": "0"})
        sends.append(Send(at, shot, False))
        sends.append(Send(at + rng.uniform(0.1, args.retry_delay), shot, True))
    return sorted(sends, key=lambda s: s.at)


def storm(port: int, sends: list[Send], threads: int) -> tuple[list[tuple[Send, Result]], float]:
    """Send each delivery at its time on a new connection, whatever the answers so far.

    Returns (send, result) pairs and the monotonic start.
    """
    def one(send: Send) -> Result:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            return post_once(conn, PATH, send.shot)
        finally:
            conn.close()

    pending: list[tuple[Send, Future[Result]]] = []
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="storm") as pool:
        began = time.monotonic()
        for send in sends:
            delay = began + send.at - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            pending.append((send, pool.submit(one, send)))
        done = [(send, future.result()) for send, future in pending]
    return done, began


def windows(done: list[tuple[Send, Result]], seconds: float,
            width: float = WINDOW_S) -> list[dict[str, object]]:
    """Latency and errors per window of sending (late retries count in the last)."""
    last = max(0, int((seconds - 1e-9) // width))
    groups: dict[int, list[Result]] = {}
    for send, result in done:
        groups.setdefault(min(int(send.at // width), last), []).append(result)
    out = []
    for index in sorted(groups):
        results = groups[index]
        out.append({"from_s": index * width, "to_s": min((index + 1) * width, seconds),
                    "requests": len(results),
                    **distribution_ms([r.latency for r in results if r.status == 200]),
                    "errors": sum(r.status != 200 for r in results)})
    return out


def load_figures(done: list[tuple[Send, Result]], began: float,
                 args: argparse.Namespace) -> dict[str, object]:
    results = [result for _send, result in done]
    wall = max(r.start + r.latency for r in results) - began
    lag = [max(0.0, r.start - (began + s.at)) for s, r in done]
    return {"overall": summarize(results, wall),
            "windows": windows(done, args.seconds, args.window),
            "retries": {**distribution_ms([r.latency for s, r in done if s.retry and
                                           r.status == 200]),
                        "errors": sum(r.status != 200 for s, r in done if s.retry)},
            "client_lag": distribution_ms(lag), "per_second": windows(done, args.seconds, 1)}


def run(args: argparse.Namespace, tmp: Path) -> dict[str, object]:
    from tests.fake_twilio import FakeTwilio
    from tests.practice import add_patients

    fake = FakeTwilio().start()
    database_url, database = scratch_database(args.db, "storm")
    port = free_port()
    settings = {**hub_settings(database_url, port, fake.url, tmp / "instance"),
                "HUB_ENGINE": "separate", "HUB_ESCALATION_POLICY": str(POLICY)}
    if args.timezone:
        settings["HUB_TIMEZONE"] = args.timezone
    log_path = tmp / "hub.log"
    server = Gunicorn("app:create_app()", port, ROOT, server_env(settings), log_path,
                      args.workers, ["--threads", str(args.threads)])
    command = ([sys.executable, str(ROOT / "bench" / "traced_scheduler.py"),
                str(args.trace_scheduler)] if args.trace_scheduler
               else [str(Path(sys.executable).with_name("hub")), "scheduler"])
    engine = Background(command, ROOT, server_env(settings), log_path)
    out: dict[str, object] = {}
    try:
        numbers = sender_numbers(args.senders)
        seed_practice(settings, lambda session, practice: add_patients(session, practice,
                                                                       numbers),
                      nora_on_shift=True)
        server.start()
        engine.start()
        url = settings["HUB_PUBLIC_URL"] + PATH
        warm = build_shots(args.warmup, url, AUTH_TOKEN, {
            "AccountSid": ACCOUNT_SID, "From": numbers[0], "To": PRACTICE_NUMBER,
            "Body": bodies()[1][0], "NumMedia": "0"})
        fire(port, PATH, warm, concurrency=4, reuse=False)
        time.sleep(1.0)
        sends = plan(args, url)
        memory = RssSampler(lambda: {"web workers": server.worker_pids(),
                                     "scheduler": [engine.proc.pid] if engine.proc else []},
                            args.rss_every).start()
        done, began = storm(port, sends, args.client_threads)
        out["memory"] = memory.stop(settled_after=min(60.0, args.seconds / 4))
        out["load"] = load_figures(done, began, args)
        out["settle_s"] = storm_checks.settle(database_url, args.settle_timeout)
        out["checks"] = storm_checks.check(database_url, fake, storm_checks.policy(POLICY),
                                           {s.shot.sid for s in sends}
                                           | {shot.sid for shot in warm})
    finally:
        server.stop()
        engine.stop()
        fake.stop()
        if database:
            database.drop()
        log = log_path.read_text(errors="replace") if log_path.exists() else ""
        out["server_log"] = {"tracebacks": log.count("Traceback"),
                             "database_locked": log.count("database is locked")}
        if out["server_log"]["tracebacks"]:  # type: ignore[index]
            print(f"--- hub log (tail) ---\n{log_tail(log_path, 60)}\n---")
    return out


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="hub-storm-"))
    try:
        r: dict = {"meta": {  # type: ignore[type-arg]
            "db": args.db, "rate": args.rate, "seconds": args.seconds, "senders": args.senders,
            "texts": int(args.rate * args.seconds), "warmup": args.warmup,
            "urgent_share": args.urgent_share,
            "retry_delay_s": args.retry_delay, "workers": args.workers, "threads": args.threads,
            "timezone": args.timezone, "cpus": os.cpu_count(), "window_s": args.window,
            "python": platform.python_version(), "at": time.strftime("%Y-%m-%dT%H:%M:%S")},
            **run(args, tmp)}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    r["goals"] = storm_checks.judge(r)
    storm_checks.report(r)
    print(f"\nresults: {write_result('storm', r)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
