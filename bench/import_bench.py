"""FHIR import benchmark: a synthetic 1,000-patient EHR export, imported as ``hub import-fhir``.

    python bench/import_bench.py [--patients 1000] [--db sqlite|postgresql]
                                 [--observations 10] [--encounters 3]

Writes the export (bench/synthetic_export.py: per patient a care team, a care plan with
activities, goals, conditions, medications, allergies, two consents, caregivers, and
Observations and Encounters the hub passes over) to a temporary file, then imports it the
way the command does: read the file, validate and resolve everything, write, commit with
the audit entry, progress on stderr. Then imports the same file again (every row found in
place, unchanged). Prints the rates (resources/s over every entry, kept resources/s, patients/s) and
writes bench/results/import.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from benchkit import PG_ADMIN_URL, PostgresDatabase, write_result  # noqa: E402
from cryptography.fernet import Fernet  # noqa: E402
from synthetic_export import export  # noqa: E402

from hub import contact_log, crypto, db  # noqa: E402
from hub.fhir.bundle import read_file  # noqa: E402
from hub.fhir.importer import import_bundle  # noqa: E402
from hub.fhir.progress import Progress  # noqa: E402


def run_import(factory, path: Path) -> tuple[float, dict]:  # type: ignore[no-untyped-def]
    """One import as the command runs it; returns (seconds, counts)."""
    started = time.perf_counter()
    data = read_file(path)
    with db.session_scope(factory) as session:
        progress = Progress(lambda line: print("  " + line, file=sys.stderr))
        summary = import_bundle(session, data, progress)
        contact_log.append(session, "fhir.import", actor="bench", detail=summary.counts())
    return time.perf_counter() - started, summary.counts()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=1000)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--observations", type=int, default=10)
    parser.add_argument("--encounters", type=int, default=3)
    args = parser.parse_args(argv)
    crypto.install(crypto.FieldCipher([Fernet.generate_key().decode()], b"bench-index-key"))
    workdir = Path(tempfile.mkdtemp(prefix="hub-import-bench-"))
    bundle = export(args.patients, observations=args.observations, encounters=args.encounters)
    path = workdir / "export.json"
    path.write_text(json.dumps(bundle))
    entries = len(bundle["entry"])
    size_mb = os.path.getsize(path) / 1e6
    del bundle
    database = PostgresDatabase(PG_ADMIN_URL) if args.db == "postgresql" else None
    url = database.url if database else f"sqlite:///{workdir}/import.db"
    try:
        db.upgrade(url)
        engine = db.make_engine(url)
        factory = db.make_session_factory(engine)
        print(f"first import of {entries:,} entries ({size_mb:.1f} MB):", file=sys.stderr)
        first, counts = run_import(factory, path)
        print("second import (the same file, every row found unchanged):", file=sys.stderr)
        second, again = run_import(factory, path)
        engine.dispose()
    finally:
        if database:
            database.drop()
    kept = sum(counts["created"].values())
    assert sum(again["unchanged"].values()) == kept and not again["created"], "not idempotent"
    results = {"db": args.db, "patients": args.patients, "entries": entries,
               "kept": kept, "passed_over": sum(counts["skipped_types"].values()),
               "size_mb": round(size_mb, 1), "runs": {}}
    print(f"import benchmark: {args.db}, {args.patients:,} patients, {entries:,} entries "
          f"({kept:,} kept, {results['passed_over']:,} passed over), {size_mb:.1f} MB")
    for label, seconds in (("first import", first), ("re-import", second)):
        run = {"seconds": round(seconds, 2), "resources_per_s": round(entries / seconds),
               "kept_per_s": round(kept / seconds),
               "patients_per_s": round(args.patients / seconds, 1)}
        results["runs"][label] = run
        print(f"  {label:12} {seconds:7.1f} s  {run['resources_per_s']:6,} resources/s  "
              f"{run['kept_per_s']:6,} kept/s  {run['patients_per_s']:6.1f} patients/s")
    write_result("import", results)
    path.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
