"""Escalation benchmark: 10,000 open escalations whose next step falls due at once.

    python bench/escalation_bench.py [--escalations 10000] [--spread 0] [--processes 3]
                                     [--db postgresql|sqlite] [--batch 200]

Seeds a fresh database (a throwaway PostgreSQL database, or a SQLite file) with a practice
(500 staff, 10,000 patients each with a designated care manager, primary and backup on call)
and ``--escalations`` contacts already paged at step 0, each with a timer for step 1 due at
the same instant T (or spread evenly over ``--spread`` seconds after T). Then ``--processes``
engine processes (``routing.timers.run_due`` in a loop, as ``hub scheduler`` runs it)
start before T and fire what falls due.

The parent watches only committed state: every 20 ms it reads the oldest due timer not yet
fired. "Lateness" is how long the oldest unfired due step had been waiting at its worst; the
goal is every step fired within 2 s of its due time. Afterwards it checks exactly once: each
contact has exactly one step-1 page per target and one timer for step 2.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from benchkit import scratch_database, write_result  # noqa: E402
from cryptography.fernet import Fernet  # noqa: E402
from sqlalchemy import bindparam, func, insert, select, update  # noqa: E402

from hub import crypto, db  # noqa: E402
from hub.models import Contact, Page, Patient, Shift, Staff, Timer, utcnow  # noqa: E402

INDEX_KEY = b"bench-index-key"


def phone(i: int) -> str:
    return f"+1720{i:07d}"


def seed(engine, staff: int, patients: int, escalations: int, due, spread: float) -> None:  # type: ignore[no-untyped-def]
    """Bulk rows through Core (encrypted columns still encrypted by the column type)."""
    cipher = crypto.active()
    now = utcnow()
    day = timedelta(days=1)
    managers = list(range(1, 101))  # staff 1-100 are care managers, the rest nurses
    with engine.begin() as conn:
        conn.execute(insert(Staff), [
            {"id": i, "name": f"Staff {i}", "email": f"s{i}@bench.test", "phone": phone(i),
             "phone_index": cipher.blind_index(phone(i)),
             "role": "care_manager" if i in managers else ("manager" if i > staff - 3 else "nurse"),
             "active": True} for i in range(1, staff + 1)])
        conn.execute(insert(Shift), [
            {"staff_id": sid, "layer": layer, "starts_at": now - day, "ends_at": now + day,
             "source_key": f"bench/{sid}/{layer}"}
            for sid, layer in ((101, "primary"), (102, "backup"), *((m, "primary")
                                                                    for m in managers[:10]))])
        for start in range(0, patients, 5000):
            conn.execute(insert(Patient), [
                {"id": i, "name": f"Patient {i}", "language": "en",
                 "care_manager_id": managers[i % len(managers)], "created_at": now}
                for i in range(start + 1, min(start + 5000, patients) + 1)])
    rng = random.Random(11)
    for start in range(0, escalations, 2000):
        ids = range(start + 1, min(start + 2000, escalations) + 1)
        with engine.begin() as conn:
            conn.execute(insert(Contact), [
                {"id": i, "ref": f"B{i:07d}", "channel": "sms", "provider_sid": f"SMbench{i}",
                 "from_number": phone(1_000_000 + i), "body": "bench", "received_at": now,
                 "status": "paging", "match": "patient", "patient_id": rng.randint(1, patients),
                 "urgency": "urgent" if i % 5 == 0 else "routine", "triage": "{}",
                 "ack_code": f"{i:05d}", "escalation_step": 0, "version": 1}
                for i in ids])
            conn.execute(insert(Timer), [
                {"contact_id": i, "kind": "escalate", "step": 1, "version": 0,
                 "due_at": due + timedelta(seconds=spread * (i - 1) / escalations)}
                for i in ids])


def worker(url: str, until: float, batch: int) -> None:
    """One engine process: fire due steps until ``until`` (epoch seconds)."""
    from messages.links import Links
    from messages.page_texts import PageTexts
    from routing.policy import load_policy
    from routing.timers import run_due

    engine = db.make_engine(url)
    sessions = db.make_session_factory(engine)
    policy = load_policy(ROOT / "config" / "escalation.toml")
    pages = PageTexts(Links("https://hub.bench"))
    while time.time() < until:
        if not run_due(sessions, policy, pages, utcnow(), batch=batch):
            time.sleep(0.02)
    engine.dispose()


def watch(engine, due, last_due, timeout: float) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """Poll committed state until every step fired; return the worst lateness seen.

    Each poll's lateness is measured when its answer arrives (an upper bound: the oldest
    unfired step was still unfired when the query began), so a poll held up behind the
    engines' writes can only make the figure worse, never better.
    """
    worst, done_at = 0.0, None
    deadline = time.time() + timeout
    query = select(func.count(), func.min(Timer.due_at)).where(
        Timer.step == 1, Timer.fired_at.is_(None))
    with engine.connect() as conn:
        while time.time() < deadline:
            left, oldest = conn.execute(query).one()
            conn.rollback()
            seen = utcnow()
            if oldest is not None and oldest.tzinfo is None:
                oldest = oldest.replace(tzinfo=due.tzinfo)
            if oldest is not None and oldest <= seen:
                worst = max(worst, (seen - oldest).total_seconds())
            if left == 0:
                done_at = seen
                worst = max(worst, (seen - last_due).total_seconds())
                break
            time.sleep(0.02)
    return {"worst_lateness_s": worst,
            "all_fired_after_due_s": (done_at - due).total_seconds() if done_at else float("nan")}


def exactly_once(engine, total: int) -> dict[str, int]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        pages = conn.execute(select(Page.contact_id, func.count()).where(Page.step == 1)
                             .group_by(Page.contact_id)).all()
        next_timers = conn.scalar(select(func.count()).select_from(Timer).where(Timer.step == 2))
    return {"contacts_paged_at_step_1": len(pages),
            "contacts_paged_more_than_once": sum(1 for _, n in pages if n > 1),
            "step_2_timers": next_timers or 0, "escalations": total}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--escalations", type=int, default=10_000)
    parser.add_argument("--spread", type=float, default=0.0,
                        help="seconds over which the due times are spread (0: all at once)")
    parser.add_argument("--processes", type=int, default=3)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="postgresql")
    parser.add_argument("--batch", type=int, default=100, help="steps fired per transaction")
    parser.add_argument("--staff", type=int, default=500)
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--worker", nargs=3, metavar=("URL", "UNTIL", "BATCH"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    keys = os.environ.get("BENCH_FERNET_KEY") or Fernet.generate_key().decode()
    os.environ["BENCH_FERNET_KEY"] = keys
    crypto.install(crypto.FieldCipher([keys], INDEX_KEY))
    if args.worker:
        worker(args.worker[0], float(args.worker[1]), int(args.worker[2]))
        return 0

    url, database = scratch_database(args.db, "escalate")
    procs: list[subprocess.Popen[bytes]] = []
    try:
        db.upgrade(url)
        engine = db.make_engine(url)
        started = time.perf_counter()
        due = utcnow() + timedelta(seconds=3600)  # moved to just ahead of the engines below
        seed(engine, args.staff, args.patients, args.escalations, due, args.spread)
        seeded = time.perf_counter() - started
        # The engines start, then every timer is moved to fall due 4 s from now.
        until = time.time() + 3 + args.spread + 300
        procs = [subprocess.Popen([sys.executable, __file__, "--worker", url, str(until),
                                   str(args.batch)]) for _ in range(args.processes)]
        time.sleep(2)
        due_now = utcnow() + timedelta(seconds=4)
        with engine.begin() as conn:
            conn.execute(update(Timer).where(Timer.id == bindparam("tid"))
                         .values(due_at=bindparam("due")).execution_options(synchronize_session=False),
                         [{"tid": i, "due": due_now + timedelta(
                             seconds=args.spread * (i - 1) / args.escalations)}
                          for i in range(1, args.escalations + 1)])
        if utcnow() > due_now:
            print("warning: moving the due times took longer than the 4 s margin")
        last_due = due_now + timedelta(seconds=args.spread * (args.escalations - 1)
                                      / args.escalations)
        figures = watch(engine, due_now, last_due, timeout=args.spread + 300)
        checks = exactly_once(engine, args.escalations)
        engine.dispose()
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=30)
        if database:
            database.drop()
    print(f"escalation benchmark: {args.db}, {args.escalations:,} escalations due "
          f"{'at once' if not args.spread else f'over {args.spread:g} s'}, "
          f"{args.processes} engine processes, {args.staff} staff, {args.patients:,} patients "
          f"(seeded in {seeded:.1f} s)")
    print(f"  the last step fired {figures['all_fired_after_due_s']:.2f} s after the first was "
          f"due; worst lateness of any step {figures['worst_lateness_s']:.2f} s")
    print(f"  exactly once: {checks}")
    ok = (checks["contacts_paged_at_step_1"] == args.escalations
          and checks["contacts_paged_more_than_once"] == 0
          and checks["step_2_timers"] == args.escalations)
    print(f"goal every step within 2 s, each once: "
          f"{'PASS' if ok and figures['worst_lateness_s'] < 2 else 'FAIL'}")
    write_result("escalation", {"db": args.db, "escalations": args.escalations,
                               "spread_s": args.spread, "processes": args.processes,
                               **figures, **checks})
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
