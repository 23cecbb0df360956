"""FHIR export benchmark: the contact log of a busy practice as Communications.

    python bench/export_bench.py [--contacts 10000] [--db sqlite|postgresql]

Seeds a fresh database with 1,000 patients, 20 staff and the given number of resolved
contacts, each with the log a real night leaves (received, triaged, paged, sent,
acknowledged, resolved, care time: 7 entries, chained and encrypted like the hub's own),
then times ``hub export-log --format fhir``'s work (reading, decrypting, building and
writing the Bundle to a discarded stream). Prints contacts per second and the process's
peak memory growth, and writes bench/results/export.json.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from benchkit import scratch_database, write_result  # noqa: E402
from cryptography.fernet import Fernet  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from hub import contact_log, crypto, db  # noqa: E402
from hub.fhir_export.bundle import write_collection  # noqa: E402
from hub.fhir_export.communication import communications  # noqa: E402
from hub.fhir_export.refs import Namespace  # noqa: E402
from hub.models import Contact, Patient, Staff  # noqa: E402

START = datetime(2026, 11, 1, tzinfo=UTC)
BODY = "My ankles are more swollen tonight and my weight is up 3 pounds since yesterday"


def seed(engine, contacts: int) -> None:  # type: ignore[no-untyped-def]
    with engine.begin() as conn:
        conn.execute(insert(Staff), [{"name": f"Nurse {i}", "role": "nurse", "active": True}
                                     for i in range(1, 21)])
        conn.execute(insert(Patient), [{"id": i, "name": f"Patient {i}", "language": "en"}
                                       for i in range(1, 1001)])
    for start in range(0, contacts, 1000):
        with engine.begin() as conn:
            for n in range(start, min(start + 1000, contacts)):
                at = START + timedelta(minutes=2 * n)
                staff = f"staff:{n % 20 + 1}"
                contact_id = conn.execute(insert(Contact).returning(Contact.id), {
                    "ref": f"B{n:07d}", "channel": "sms", "provider_sid": f"SM{n:032x}",
                    "from_number": f"+1303{n % 1000:07d}", "body": BODY, "received_at": at,
                    "status": "resolved", "match": "patient", "patient_id": n % 1000 + 1,
                    "urgency": "urgent" if n % 5 == 0 else "routine",
                    "triage": json.dumps({"urgency": "routine", "fired": ["edema"]}),
                    "acknowledged_by_id": n % 20 + 1, "acknowledged_at": at,
                    "resolved_by_id": n % 20 + 1, "resolved_at": at, "escalation_step": 0,
                    "version": 3}).scalar_one()
                for event, actor, detail in (
                        ("contact.received", "sms", {"body": BODY}),
                        ("contact.triaged", "system", {"urgency": "routine", "fired": ["edema"]}),
                        ("escalation.paged", "system", {"step": 0, "staff_ids": [n % 20 + 1],
                                                        "channels": ["sms"]}),
                        ("outbound.sent", "system", {"outbound_id": n}),
                        ("contact.acknowledged", staff, {"via": "sms"}),
                        ("contact.resolved", staff, {"via": "sms", "disposition": "advised"}),
                        ("care_time.added", staff, {"minutes": 12, "source": "callback",
                                                    "staff_type": "clinical"})):
                    contact_log.append_to(conn, event, contact_id=contact_id, actor=actor,
                                          detail=detail, at=at)


class Counting:
    """A stream that only counts what is written (the bundle itself is discarded)."""

    def __init__(self) -> None:
        self.chars = 0

    def write(self, text: str) -> int:
        self.chars += len(text)
        return len(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contacts", type=int, default=10_000)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args(argv)
    crypto.install(crypto.FieldCipher([Fernet.generate_key().decode()], b"bench-index-key"))
    url, database = scratch_database(args.db, "export")
    try:
        db.upgrade(url)
        engine = db.make_engine(url)
        started = time.perf_counter()
        seed(engine, args.contacts)
        seeded = time.perf_counter() - started
        ns = Namespace("https://care-line.example.org")
        sink = Counting()
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        with db.make_session_factory(engine)() as session:
            count = write_collection(sink, communications(session, ns, None, None), ns)
        elapsed = time.perf_counter() - started
        rss_growth_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024
        size_mb = sink.chars / 1e6
        engine.dispose()
    finally:
        if database:
            database.drop()
    result = {"db": args.db, "contacts": count, "seconds": round(elapsed, 2),
              "contacts_per_s": round(count / elapsed), "bundle_mchars": round(size_mb, 1),
              "peak_rss_growth_mb": round(rss_growth_mb, 1)}
    print(f"FHIR export benchmark: {args.db}, {count:,} contacts with 7 log entries each "
          f"(seeded in {seeded:.1f} s)")
    print(f"  {elapsed:.2f} s, {count / elapsed:,.0f} contacts/s, bundle {size_mb:.1f} M chars, "
          f"peak memory growth {rss_growth_mb:.1f} MB")
    write_result("export", result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
