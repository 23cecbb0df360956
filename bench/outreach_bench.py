"""Outreach benchmark: 5,000 patients' daily-weight texts due in one scheduled batch, paced.

    python bench/outreach_bench.py [--patients 5000] [--rate 50] [--engines 2]
                                   [--webhook-rate 10] [--webhook-seconds 20]
                                   [--db postgresql|sqlite]

The production shape: ``gunicorn -w 2 --threads 4 'app:create_app()'`` with
``HUB_ENGINE=separate`` and ``--engines`` ``hub scheduler`` processes, on a fresh database,
Twilio's REST API played by the loopback fake (``tests/fake_twilio.py``, each request taking
``--twilio-latency`` seconds). Every one of ``--patients`` patients has a daily-weights plan
whose next occurrence is the same instant T (a few seconds after the engines start).

``HUB_OUTBOUND_PER_SECOND`` is ``--rate`` (50 by default, so the run takes minutes: at the
long-code default of 1 a second, 5,000 texts take 83 minutes). ``HUB_QUIET_HOURS`` is off so
the run gives the same figures at any hour.

Figures, all from the fake Twilio's receipt times: the achieved send rate of the outreach
texts ((n - 1) / (last - first)) and the most received in any one-second window (neither may
exceed the setting), the time to drain (T to the last text), each text exactly once; and the
webhook latency p50/p99 of patients' texts sent open loop at ``--webhook-rate`` for
``--webhook-seconds`` before T (no outreach) and again during the batch (urgent texts: each
pages at once), with the time from each paging call being queued to being sent (pages first:
never behind the outreach). Writes ``bench/results/outreach.json``.
"""

from __future__ import annotations

import argparse
import http.client
import os
import platform
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from benchkit import (
    Background,
    Gunicorn,
    Result,
    build_shots,
    distribution_ms,
    free_port,
    log_tail,
    post_once,
    scratch_database,
    write_result,
)
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

STAFF = {"+12025550101", "+12025550102", "+12025550103"}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=5000)
    parser.add_argument("--rate", type=float, default=50.0, help="HUB_OUTBOUND_PER_SECOND")
    parser.add_argument("--engines", type=int, default=2, help="hub scheduler processes")
    parser.add_argument("--webhook-rate", type=float, default=10.0, help="texts a second")
    parser.add_argument("--webhook-seconds", type=float, default=20.0)
    parser.add_argument("--twilio-latency", type=float, default=0.05)
    parser.add_argument("--db", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--timeout", type=float, default=900.0, help="most seconds to drain")
    return parser.parse_args(argv)


def patient_numbers(count: int) -> list[str]:
    return [f"+1303{i:07d}" for i in range(count)]


def texter_numbers() -> list[str]:
    return [f"+1202555{4000 + i:04d}" for i in range(20)]


def seed(settings: dict[str, str], patients: int, due_in: float) -> float:
    """The practice, the patients (each with a weights plan due at T) and 20 texters; T as
    a wall-clock time."""
    from datetime import timedelta

    from hub.models import OutreachPlan, utcnow
    from tests.practice import add_patients

    at = utcnow() + timedelta(seconds=due_in)

    def more(session, practice):  # type: ignore[no-untyped-def]
        add_patients(session, practice, texter_numbers())
        made = add_patients(session, practice, patient_numbers(patients))
        session.add_all([OutreachPlan(patient_id=p.id, kind="weights", channel="sms",
                                      rrule="FREQ=DAILY", starts_local="2026-01-01T08:00",
                                      next_at=at, active=True, created_by="bench",
                                      created_at=utcnow(), version=0) for p in made])
        session.commit()

    seed_practice(settings, more)
    return at.timestamp()


def texts(port: int, url: str, rate: float, seconds: float) -> list[Result]:
    """Patients' urgent texts (each pages at once), open loop, each on a new connection."""
    numbers = texter_numbers()
    shots = [build_shots(1, url, AUTH_TOKEN, {
        "AccountSid": ACCOUNT_SID, "From": numbers[i % len(numbers)], "To": PRACTICE_NUMBER,
        "Body": "my chest hurts and I can't breathe", "NumMedia": "0"})[0]
        for i in range(int(rate * seconds))]

    def one(shot):  # type: ignore[no-untyped-def]
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            return post_once(conn, PATH, shot)
        finally:
            conn.close()

    began = time.monotonic()
    futures = []
    with ThreadPoolExecutor(max_workers=16) as pool:
        for i, shot in enumerate(shots):
            delay = began + i / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            futures.append(pool.submit(one, shot))
    return [f.result() for f in futures]


def busiest(times: list[float], width: float = 1.0) -> int:
    """The most receipts in any window of ``width`` seconds."""
    best, left = 0, 0
    for right, t in enumerate(times):
        while t - times[left] >= width:
            left += 1
        best = max(best, right - left + 1)
    return best


def page_delays(database_url: str, since: float, until: float) -> dict[str, object]:
    """Paging calls queued after ``since`` (wall clock): from queued to sent (the engine's
    clock). Calls, as SMS pages to one nurse are held by the policy's limit on purpose."""
    from datetime import UTC, datetime

    from sqlalchemy import create_engine, select

    from hub.models import Outbound

    engine = create_engine(database_url)
    after, before = datetime.fromtimestamp(since, UTC), datetime.fromtimestamp(until, UTC)
    with engine.connect() as conn:
        rows = conn.execute(select(Outbound.created_at, Outbound.sent_at).where(
            Outbound.kind == "page", Outbound.channel == "call", Outbound.created_at >= after,
            Outbound.created_at < before,
            Outbound.sent_at.is_not(None))).all()
    engine.dispose()
    return distribution_ms([(sent - created).total_seconds() for created, sent in rows])


def run(args: argparse.Namespace, tmp: Path) -> dict[str, object]:
    from tests.fake_twilio import FakeTwilio

    fake = FakeTwilio(latency=args.twilio_latency).start()
    database_url, database = scratch_database(args.db, "outreach")
    port = free_port()
    settings = {**hub_settings(database_url, port, fake.url, tmp / "instance"),
                "HUB_ENGINE": "separate", "HUB_OUTBOUND_PER_SECOND": str(args.rate),
                "HUB_QUIET_HOURS": "off"}
    log_path = tmp / "hub.log"
    server = Gunicorn("app:create_app()", port, ROOT, server_env(settings), log_path, 2,
                      ["--threads", "4"])
    engines = [Background([str(Path(sys.executable).with_name("hub")), "scheduler"], ROOT,
                          server_env(settings), log_path) for _ in range(args.engines)]
    url = settings["HUB_PUBLIC_URL"] + PATH
    out: dict[str, object] = {}
    try:
        began_seed = time.monotonic()
        due = seed(settings, args.patients, due_in=10_000)  # moved to T below
        out["seed_s"] = round(time.monotonic() - began_seed, 1)
        server.start()
        for engine in engines:
            engine.start()
        texts(port, url, 5, 4)  # warm-up, uncounted
        quiet_from = time.time()
        baseline = texts(port, url, args.webhook_rate, args.webhook_seconds)
        out["webhook_without_batch"] = distribution_ms([r.latency for r in baseline
                                                         if r.status == 200])
        quiet_to = time.time()
        due = _move_plans_to(database_url, time.time() + 2.0)
        time.sleep(2.5)
        during_from = time.time()
        during = texts(port, url, args.webhook_rate, args.webhook_seconds)
        during_to = time.time()
        out["webhook_during_batch"] = distribution_ms([r.latency for r in during
                                                        if r.status == 200])
        out["errors"] = sum(r.status != 200 for r in baseline + during)
        numbers = set(patient_numbers(args.patients))
        deadline = time.monotonic() + args.timeout
        while time.monotonic() < deadline:
            sent = [r for r in list(fake.requests) if r.form.get("To") in numbers]
            if len(sent) >= args.patients:
                break
            time.sleep(1.0)
        # Measured once every page has left: pages queued in each window, queued to sent.
        out["pages_without_batch"] = page_delays(database_url, quiet_from, quiet_to)
        out["pages_during_batch"] = page_delays(database_url, during_from, during_to)
        wall = time.time() - time.monotonic()
        times = sorted(r.at + wall for r in sent)
        out["outreach"] = {
            "texts": len(sent), "distinct_numbers": len({r.form["To"] for r in sent}),
            "setting_per_s": args.rate,
            "achieved_per_s": round((len(times) - 1) / (times[-1] - times[0]), 2)
            if len(times) > 1 else None,
            "busiest_second": busiest(times),
            "busiest_10s_per_s": busiest(times, 10.0) / 10,
            "drain_s": round(times[-1] - due, 1) if times else None,
            "first_after_due_s": round(times[0] - due, 2) if times else None,
            **_slots(database_url, {r.sid: r.at + wall for r in sent})}
    finally:
        server.stop()
        for engine in engines:
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


def _slots(database_url: str, received: dict[str, float]) -> dict[str, object]:
    """How the engines spaced the slots (closest two) and how late each text left."""
    from sqlalchemy import create_engine, select

    from hub.models import Outbound

    engine = create_engine(database_url)
    with engine.connect() as conn:
        rows = conn.execute(select(Outbound.provider_sid, Outbound.next_attempt_at).where(
            Outbound.kind == "outreach")).all()
    engine.dispose()
    slots = sorted(at.timestamp() for _sid, at in rows)
    gaps = [b - a for a, b in zip(slots, slots[1:], strict=False)]
    late = [received[sid] - at.timestamp() for sid, at in sorted(rows, key=lambda r: r[1])
            if sid in received]
    return {"closest_slots_ms": round(min(gaps) * 1000, 2) if gaps else None,
            "late_ms": distribution_ms(late),
            "worst_late_by_tenth_ms": [
                round(max(late[i * len(late) // 10:(i + 1) * len(late) // 10] or [0]) * 1000)
                for i in range(10)]}


def _move_plans_to(database_url: str, at: float) -> float:
    """Every plan due at ``at`` (wall clock): the batch starts then."""
    from datetime import UTC, datetime

    from sqlalchemy import create_engine, update

    from hub.models import OutreachPlan

    engine = create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(update(OutreachPlan).values(
            next_at=datetime.fromtimestamp(at, UTC)))
    engine.dispose()
    return at


def report(r: dict) -> None:  # type: ignore[type-arg]
    o = r["outreach"]
    print(f"outreach: {o['texts']} texts to {o['distinct_numbers']} numbers; setting "
          f"{o['setting_per_s']}/s, achieved {o['achieved_per_s']}/s, busiest second "
          f"{o['busiest_second']}, busiest 10 s {o['busiest_10s_per_s']}/s; slots at least "
          f"{o['closest_slots_ms']} ms apart; late p50 {o['late_ms']['p50_ms']:.0f} ms, p99 "
          f"{o['late_ms']['p99_ms']:.0f} ms; drained {o['drain_s']} s after T (first "
          f"{o['first_after_due_s']} s after T)")
    for label in ("without", "during"):
        w, p = r[f"webhook_{label}_batch"], r[f"pages_{label}_batch"]
        print(f"webhook {label} the batch: p50 {w['p50_ms']:.1f} ms, p99 {w['p99_ms']:.1f} ms "
              f"({w['count']} texts); paging calls queued->sent p50 {p['p50_ms'] or 0:.0f} ms, "
              f"p99 {p['p99_ms'] or 0:.0f} ms ({p['count']})")
    print(f"errors {r['errors']}; tracebacks {r['server_log']['tracebacks']}")
    ok = (o["texts"] == o["distinct_numbers"] == r["meta"]["patients"]
          and (o["achieved_per_s"] or 0) <= o["setting_per_s"]
          and o["busiest_10s_per_s"] <= o["setting_per_s"]
          and o["closest_slots_ms"] >= 1000 / o["setting_per_s"] - 0.01)
    print("PASS" if ok else "FAIL", "(every text once; slots 1/rate apart; achieved and any 10 s "
          "window within the setting; the busiest single second shows the senders' jitter)")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="hub-outreach-"))
    try:
        r: dict = {"meta": {  # type: ignore[type-arg]
            "db": args.db, "patients": args.patients, "rate": args.rate,
            "engines": args.engines, "webhook_rate": args.webhook_rate,
            "webhook_seconds": args.webhook_seconds, "twilio_latency": args.twilio_latency,
            "cpus": os.cpu_count(), "python": platform.python_version(),
            "at": time.strftime("%Y-%m-%dT%H:%M:%S")}, **run(args, tmp)}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    report(r)
    print(f"\nresults: {write_result('outreach', r)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
