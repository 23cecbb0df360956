"""Routing benchmark: whom a patient's contact pages first, at 500 staff, 10,000 patients and a
year of schedule.

    python bench/routing_bench.py [--db sqlite|postgresql] [--decisions 3000]

Seeds a fresh database (SQLite file, or a new PostgreSQL database dropped afterwards) with a
practice of 500 staff (400 nurses, 50 care managers, 40 physicians, 10 managers) and 10,000
patients, each with a designated care manager and a care team (care manager, a nurse, a
physician); and a year of schedule: weekly primary and backup rotations, 23 daily team
rotations, the care managers' weekday clinic hours and the physicians' 12-hour calls as
calendar shifts (about 13,700), 1,000 covers and 100 swaps. Then times the routing decision
the engine makes for a contact: ``resolve_target(session, "continuity", contact, at)`` for a
random patient at a random instant of the year, each in a fresh session (patient and care
manager loaded, schedule read, the chain walked) that ends as the engine's transactions do,
with a commit: a rollback makes psycopg forget the connection's prepared statements, so every
query of the next decision would be parsed and planned again. Each decision runs ``--repeat``
times: the first run is the figure; the fastest shows what is left of the tail when the other
load of this shared machine is set aside. Prints p50/p99/max and writes bench/results/routing.json.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from benchkit import scratch_database, write_result  # noqa: E402
from cryptography.fernet import Fernet  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from hub import crypto, db  # noqa: E402
from hub.models import (  # noqa: E402
    CareTeam,
    CareTeamMember,
    Contact,
    Patient,
    Rotation,
    RotationMember,
    ScheduleOverride,
    Shift,
    Staff,
)
from routing.oncall import resolve_target  # noqa: E402

ZONE = "America/New_York"
YEAR_START = datetime(2026, 1, 1, 5, tzinfo=UTC)  # midnight in New York
NURSES, CARE_MANAGERS, PHYSICIANS, MANAGERS = range(1, 401), range(401, 451), \
    range(451, 491), range(491, 501)


def seed(engine, patients: int, rng: random.Random) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Bulk rows through Core (names and numbers still encrypted by the column type)."""
    roles = {**dict.fromkeys(NURSES, "nurse"), **dict.fromkeys(CARE_MANAGERS, "care_manager"),
             **dict.fromkeys(PHYSICIANS, "physician"), **dict.fromkeys(MANAGERS, "manager")}
    counts: dict[str, int] = {}
    with engine.begin() as conn:
        conn.execute(insert(Staff), [
            {"id": i, "name": f"Staff {i}", "email": f"s{i}@bench.test",
             "phone": f"+1303{9_000_000 + i}", "role": role, "active": True}
            for i, role in roles.items()])
        rotations = [("primary", "primary", 7, list(NURSES)[:10]),
                     ("backup", "backup", 7, list(NURSES)[10:20])]
        rotations += [(f"team-{t}", f"team-{t}", 1, list(NURSES)[20 + 16 * t:36 + 16 * t])
                      for t in range(23)]
        for number, (name, layer, every, members) in enumerate(rotations, start=1):
            conn.execute(insert(Rotation), [{
                "id": number, "name": name, "layer": layer, "every_days": every,
                "handoff_minute": 8 * 60, "start_date": date(2025, 12, 29), "time_zone": ZONE,
                "created_at": YEAR_START}])
            conn.execute(insert(RotationMember), [
                {"rotation_id": number, "position": p, "staff_id": s}
                for p, s in enumerate(members)])
        counts["rotations"] = len(rotations)
        shifts = []
        for day in range(365):
            start = YEAR_START + timedelta(days=day)
            if start.weekday() < 5:  # care managers' clinic hours, 09:00 to 17:00
                shifts += [(cm, "clinic", start + timedelta(hours=9), start + timedelta(hours=17))
                           for cm in CARE_MANAGERS]
            for half in (8, 20):  # a physician on call, 12 hours at a time
                doctor = PHYSICIANS[(2 * day + half // 20) % len(PHYSICIANS)]
                shifts.append((doctor, "physician", start + timedelta(hours=half),
                               start + timedelta(hours=half + 12)))
        conn.execute(insert(Shift), [
            {"staff_id": s, "layer": layer, "starts_at": a, "ends_at": b,
             "source_key": f"bench/{i}", "calendar": "bench"}
            for i, (s, layer, a, b) in enumerate(shifts)])
        counts["calendar_shifts"] = len(shifts)
        overrides = []
        for i in range(1000):
            start = YEAR_START + timedelta(hours=rng.randrange(365 * 24))
            a, b = rng.sample(list(NURSES)[:20 + 16 * 23], 2)
            overrides.append({"id": i + 1, "kind": "replace", "layer": None, "staff_id": a,
                              "replaces_id": b, "starts_at": start,
                              "ends_at": start + timedelta(hours=rng.randrange(4, 13)),
                              "created_at": YEAR_START})
        for i in range(100):
            one = YEAR_START + timedelta(days=rng.randrange(360))
            two = one + timedelta(days=rng.randrange(1, 5))
            a, b = rng.sample(list(NURSES)[20:36], 2)
            first, second = 1001 + 2 * i, 1002 + 2 * i
            overrides += [
                {"id": first, "kind": "swap", "layer": "team-0", "staff_id": b, "replaces_id": a,
                 "starts_at": one, "ends_at": one + timedelta(days=1), "pair_id": second,
                 "created_at": YEAR_START},
                {"id": second, "kind": "swap", "layer": "team-0", "staff_id": a,
                 "replaces_id": b, "starts_at": two, "ends_at": two + timedelta(days=1),
                 "pair_id": first, "created_at": YEAR_START}]
        conn.execute(insert(ScheduleOverride), overrides)
        counts["overrides"] = len(overrides)
    for start in range(0, patients, 2000):
        ids = range(start + 1, min(start + 2000, patients) + 1)
        with engine.begin() as conn:
            conn.execute(insert(Patient), [
                {"id": i, "name": f"Patient {i}", "language": "en",
                 "care_manager_id": CARE_MANAGERS[i % len(CARE_MANAGERS)],
                 "created_at": YEAR_START} for i in ids])
            conn.execute(insert(CareTeam), [{"id": i, "patient_id": i, "status": "active"}
                                            for i in ids])
            conn.execute(insert(CareTeamMember), [
                {"team_id": i, "staff_id": s, "is_care_manager": s in CARE_MANAGERS}
                for i in ids for s in (CARE_MANAGERS[i % len(CARE_MANAGERS)],
                                       NURSES[20 + i % (16 * 23)],
                                       PHYSICIANS[i % len(PHYSICIANS)])])
    counts["patients"] = patients
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--decisions", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=3,
                        help="Runs of each decision; the first is the figure, the fastest "
                             "shows what is left when this machine's other load is set aside.")
    args = parser.parse_args(argv)
    crypto.install(crypto.FieldCipher([Fernet.generate_key().decode()], b"bench-index-key"))
    url, database = scratch_database(args.db, "routing")
    rng = random.Random(11)
    try:
        db.upgrade(url)
        engine = db.make_engine(url)
        started = time.perf_counter()
        counts = seed(engine, args.patients, rng)
        # As `hub import-schedule` does after a load (and autovacuum soon after any): the
        # planner's statistics for the tables just filled, not its guesses for empty ones.
        with engine.begin() as conn:
            db.refresh_statistics(conn, Shift, ScheduleOverride, Rotation, RotationMember, Staff,
                                  Patient, CareTeam, CareTeamMember)
        seeded = time.perf_counter() - started
        sessions = db.make_session_factory(engine)
        asks = [(rng.randint(1, args.patients),
                 YEAR_START + timedelta(seconds=rng.randrange(365 * 86400)))
                for _ in range(args.decisions + 200)]
        times, best, outcomes = [], [], {"care manager": 0, "someone else": 0, "nobody": 0}
        for n, (patient_id, at) in enumerate(asks):
            runs = []
            for _ in range(args.repeat):
                start = time.perf_counter()
                with sessions() as session:
                    patient = session.get(Patient, patient_id)
                    contact = Contact(patient=patient, urgency="routine")
                    people = resolve_target(session, "continuity", contact, at)
                    session.commit()  # as the engine's transactions end (see above)
                runs.append((time.perf_counter() - start) * 1000)
            if n < 200:
                continue  # warm-up: caches, prepared statements
            times.append(runs[0])
            best.append(min(runs))
            outcomes["nobody" if not people else "care manager"
                     if patient is not None and people[0].id == patient.care_manager_id
                     else "someone else"] += 1
        engine.dispose()
    finally:
        if database:
            database.drop()
    times.sort()
    best.sort()
    result = {"db": args.db, **counts, "staff": 500, "decisions": len(times),
              "p50_ms": statistics.median(times), "p99_ms": times[int(0.99 * len(times))],
              "max_ms": times[-1], "best_of_repeats_p50_ms": statistics.median(best),
              "best_of_repeats_p99_ms": best[int(0.99 * len(best))],
              "outcomes": outcomes}
    print(f"routing benchmark: {args.db}, 500 staff, {counts['patients']:,} patients, "
          f"{counts['rotations']} rotations, {counts['calendar_shifts']:,} calendar shifts, "
          f"{counts['overrides']:,} override rows over a year (seeded in {seeded:.1f} s)")
    print(f"  continuity decision, {len(times):,} random patients and instants: "
          f"p50 {result['p50_ms']:.2f} ms  p99 {result['p99_ms']:.2f} ms  "
          f"max {result['max_ms']:.2f} ms  {outcomes}")
    print(f"  the same decisions, fastest of {args.repeat} runs each: "
          f"p50 {result['best_of_repeats_p50_ms']:.2f} ms  "
          f"p99 {result['best_of_repeats_p99_ms']:.2f} ms")
    print(f"goal p99 < 5 ms: {'PASS' if result['p99_ms'] < 5 else 'FAIL'} (first runs); "
          f"{'PASS' if result['best_of_repeats_p99_ms'] < 5 else 'FAIL'} (fastest runs)")
    write_result("routing", result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
