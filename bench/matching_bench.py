"""Matching benchmark: who is writing, by phone number, at 100,000 patients.

    python bench/matching_bench.py [--patients 100000] [--db sqlite|postgresql] [--lookups 5000]

Seeds a fresh database (SQLite file or a new PostgreSQL database, dropped afterwards) with
the given number of patients, each with a mobile number, one caregiver per ten patients
(every hundredth caring for two), and 50 staff; then times ``hub.matching.identify`` (the one
query the webhook runs: keyed hash of the number, no decryption) for random known numbers,
caregivers and unknown numbers. Prints p50/p99/max and writes bench/results/matching.json.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from benchkit import scratch_database, write_result  # noqa: E402
from cryptography.fernet import Fernet  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from hub import crypto, db  # noqa: E402
from hub.matching import identify  # noqa: E402
from hub.models import Caregiver, Patient, PatientPhone, Staff  # noqa: E402


def number(i: int) -> str:
    """A distinct E.164 number for each i below ten million."""
    return f"+1303{i:07d}"


def carer_number(patient: int) -> str:
    """Every tenth patient has a caregiver; every hundredth shares the previous one's (a
    caregiver of two patients)."""
    return number(5_000_000 + (patient if patient % 100 else patient - 10))


def seed(engine, patients: int) -> None:  # type: ignore[no-untyped-def]
    """Bulk rows through Core (names and numbers still encrypted by the column type)."""
    cipher = crypto.active()
    batch = 5000
    with engine.begin() as conn:
        conn.execute(insert(Staff), [
            {"name": f"Staff {i}", "email": f"s{i}@bench.test", "phone": number(9_000_000 + i),
             "phone_index": cipher.blind_index(number(9_000_000 + i)), "role": "nurse",
             "active": True} for i in range(50)])
    for start in range(0, patients, batch):
        ids = range(start + 1, min(start + batch, patients) + 1)
        with engine.begin() as conn:
            conn.execute(insert(Patient), [
                {"id": i, "name": f"Patient {i}", "language": "en"} for i in ids])
            conn.execute(insert(PatientPhone), [
                {"patient_id": i, "phone": number(i), "phone_index": cipher.blind_index(number(i)),
                 "use": "mobile"} for i in ids])
            carers = [i for i in ids if i % 10 == 0]
            conn.execute(insert(Caregiver), [
                {"patient_id": i, "name": f"Carer {i}", "phone": carer_number(i),
                 "phone_index": cipher.blind_index(carer_number(i))} for i in carers])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--lookups", type=int, default=5000)
    args = parser.parse_args(argv)
    crypto.install(crypto.FieldCipher([Fernet.generate_key().decode()], b"bench-index-key"))
    url, database = scratch_database(args.db, "match")
    try:
        db.upgrade(url)
        engine = db.make_engine(url)
        started = time.perf_counter()
        seed(engine, args.patients)
        seeded = time.perf_counter() - started
        cipher = crypto.active()
        rng = random.Random(7)
        kinds = {"patient": lambda: number(rng.randint(1, args.patients)),
                 "caregiver": lambda: carer_number(10 * rng.randint(1, args.patients // 10)),
                 "unknown": lambda: number(8_000_000 + rng.randint(0, 999_999))}
        results = {}
        with engine.connect() as conn:
            for kind, pick in kinds.items():
                indexes = [cipher.blind_index(pick()) for _ in range(args.lookups)]
                for index in indexes[:100]:
                    identify(conn, index)  # warm the cache and prepared statements
                times, found = [], {}
                for index in indexes:
                    start = time.perf_counter()
                    match = identify(conn, index)
                    times.append((time.perf_counter() - start) * 1000)
                    found[match.kind] = found.get(match.kind, 0) + 1
                times.sort()
                results[kind] = {"p50_ms": statistics.median(times),
                                 "p99_ms": times[int(0.99 * len(times))], "max_ms": times[-1],
                                 "outcomes": found}
        engine.dispose()
    finally:
        if database:
            database.drop()
    print(f"matching benchmark: {args.db}, {args.patients:,} patients "
          f"(seeded in {seeded:.1f} s), {args.lookups:,} lookups per kind")
    for kind, r in results.items():
        print(f"  {kind:10} p50 {r['p50_ms']:.3f} ms  p99 {r['p99_ms']:.3f} ms  "
              f"max {r['max_ms']:.3f} ms  {r['outcomes']}")
    worst = max(r["p99_ms"] for r in results.values())
    print(f"goal p99 < 1 ms: {'PASS' if worst < 1 else 'FAIL'} (worst p99 {worst:.3f} ms)")
    write_result("matching", {"db": args.db, "patients": args.patients, **results})
    return 0


if __name__ == "__main__":
    sys.exit(main())
