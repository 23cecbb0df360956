"""Manager pages benchmark: the filtered contact log and the response-time charts over a big
history, through the whole Flask app.

    python bench/manager_bench.py [--db sqlite|postgresql] [--contacts 100000] [--events 1000000]

Builds the hub (create_app) on a fresh database with the test practice (tests/practice.py)
plus 17 more nurses and 2,000 patients, then bulk-loads ``--contacts`` contacts received
over the last year (urgency, channel, state mixed; most paged once, a fifth escalated, most
acknowledged and resolved) with their pages, and ``--events`` contact-log entries spread
over them (COPY on PostgreSQL, executemany on SQLite; the log's chain is not computed, and
entries and message bodies share a few ciphertexts: the reads decrypt them all the same).
Then, signed in as the manager (password and TOTP) through Flask's test client, times:

- the contact log filtered by urgency and staff, by state and dates, by patient, by
  channel, and a page deep into the urgent contacts (``before``): goal p99 < 200 ms;
- the response-time charts (SVG) for the last quarter, one per measure: goal < 500 ms;
- the overview page for the quarter, a contact's timeline and the access audit (told).

Prints p50/p99/max per request kind and writes bench/results/manager.json.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import pyotp  # noqa: E402
from benchkit import PG_ADMIN_URL, PostgresDatabase, test_client_hub, write_result  # noqa: E402
from sqlalchemy import update  # noqa: E402

from hub import crypto  # noqa: E402
from hub.db import insert_rows, refresh_statistics  # noqa: E402
from hub.models import Contact, LogEntry, LogHead, Page, Patient, Staff  # noqa: E402
from hub.staff_accounts import enroll_totp, set_password  # noqa: E402
from tests.conftest import ACCOUNT_SID, AUTH_TOKEN, PUBLIC_URL  # noqa: E402
from tests.practice import seed  # noqa: E402
from tests.staff_login import sign_in  # noqa: E402

EVENTS = ("contact.received", "contact.triaged", "escalation.paged", "outbound.sent",
          "outbound.delivered", "contact.acknowledged", "access.view_contact",
          "care_time.added", "contact.resolved", "access.view_care_plan")
BATCH = 20_000


def seed_history(rt, contacts: int, events: int, now: datetime) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """Staff, patients, contacts, pages and log entries; what the timed requests need."""
    rng = random.Random(14)
    with rt.sessions() as session:
        practice = seed(session)
        nurses = [Staff(name=f"Nurse {n}", email=f"nurse{n}@clinic.test", role="nurse")
                  for n in range(17)]
        session.add_all(nurses)
        maya = session.get(Staff, practice.maya.id)
        set_password(maya, "bench-password-1")
        secret = pyotp.parse_uri(enroll_totp(maya, "Care line")).secret
        session.commit()
        staff_ids = [practice.ben.id, practice.nora.id] + [n.id for n in nurses]
    with rt.engine.begin() as conn:
        insert_rows(conn, Patient, [{"name": f"Patient {n}", "language": "en",
                                     "ref": f"P{n:07d}"} for n in range(2000)])
    with rt.sessions() as session:
        patient_ids = [p for (p,) in session.execute(Patient.__table__.select().with_only_columns(
            Patient.id))]
    cipher = crypto.active()
    bodies = [crypto.Sealed(cipher.encrypt(text)) for text in (
        "my sugar is 45", "need a refill", "short of breath tonight", "fell, ankle swollen")]
    details = crypto.Sealed(cipher.encrypt(json.dumps({"via": "sms"})))
    year = timedelta(days=365)
    contact_rows, page_rows = [], []
    for n in range(1, contacts + 1):
        received = now - year * (1 - n / contacts) - timedelta(seconds=rng.randint(0, 600))
        staff = staff_ids[n % len(staff_ids)]
        urgent = rng.random() < 0.3
        acked = rng.random() < 0.92
        steps = 2 if rng.random() < 0.2 else 1
        ack_at = received + timedelta(minutes=rng.uniform(1, 25 if urgent else 90))
        done_at = ack_at + timedelta(minutes=rng.uniform(5, 240))
        contact_rows.append({
            "id": n, "ref": f"B{n:07d}", "channel": ("sms", "voice", "portal")[n % 3],
            "provider_sid": None, "from_number": None, "from_index": None,
            "body": bodies[n % 4], "received_at": received,
            "status": "resolved" if acked else "paging", "match": "patient",
            "patient_id": patient_ids[n % len(patient_ids)], "caregiver_id": None,
            "candidates": None, "urgency": "urgent" if urgent else "routine", "triage": None,
            "ack_code": None, "escalation_step": steps - 1,
            "acknowledged_by_id": staff if acked else None,
            "acknowledged_at": ack_at if acked else None,
            "resolved_by_id": staff if acked else None, "resolved_at": done_at if acked else None,
            "version": 1})
        for step in range(steps):
            page_rows.append({"contact_id": n, "staff_id": staff_ids[(n + step * 7)
                                                                     % len(staff_ids)],
                              "step": step, "created_at": received + timedelta(
                                  seconds=5 + step * 300)})
    started = time.perf_counter()
    with rt.engine.begin() as conn:
        for start in range(0, len(contact_rows), BATCH):
            insert_rows(conn, Contact, contact_rows[start:start + BATCH])
        for start in range(0, len(page_rows), BATCH):
            insert_rows(conn, Page, page_rows[start:start + BATCH])
    per_contact = max(events // contacts, 1)
    seq = 0
    with rt.engine.begin() as conn:
        batch = []
        for row in contact_rows:
            for k in range(per_contact):
                if seq >= events:
                    break
                seq += 1
                batch.append({"seq": seq, "at": row["received_at"] + timedelta(seconds=k * 30),
                              "event": EVENTS[k % len(EVENTS)], "contact_id": row["id"],
                              "actor": f"staff:{row['acknowledged_by_id'] or staff_ids[0]}",
                              "detail": details, "mac": "0" * 64})
            if len(batch) >= BATCH:
                insert_rows(conn, LogEntry, batch)
                batch = []
        insert_rows(conn, LogEntry, batch)
        conn.execute(update(LogHead).where(LogHead.id == 1).values(seq=seq, mac="0" * 64))
        refresh_statistics(conn, Contact, Page, LogEntry, Patient)
    loaded = time.perf_counter() - started
    if rt.engine.dialect.name == "sqlite":
        with rt.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    return {"secret": secret, "staff": practice.ben.id, "loaded_s": round(loaded, 1),
            "events": seq, "patient_ref": "P0000042"}


def timed(client, path: str, times: list[float], query: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    answer = client.get(path, query_string=query)
    answer.get_data()
    times.append((time.perf_counter() - start) * 1000)
    assert answer.status_code == 200, (path, query, answer.status_code)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="hub-manager-bench-"))
    database = PostgresDatabase(PG_ADMIN_URL) if args.db == "postgresql" else None
    url = database.url if database else f"sqlite:///{workdir}/manager.db"
    app = test_client_hub(
        url, workdir, HUB_ENGINE="separate", HUB_PUBLIC_URL=PUBLIC_URL,
        TWILIO_ACCOUNT_SID=ACCOUNT_SID, TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        TWILIO_PHONE_NUMBER="+12025550100", HUB_LOGIN_LIMIT="1000 per minute",
        HUB_LOG_LEVEL="WARNING")
    rt = app.extensions["hub"]
    now = datetime.now(UTC)
    times: dict[str, list[float]] = {}
    try:
        with app.app_context():
            seeded = seed_history(rt, args.contacts, args.events, now)
        client = app.test_client()
        assert sign_in(client, "maya@clinic.test", "bench-password-1",
                       totp=str(seeded["secret"])).status_code == 302
        today = now.astimezone(rt.settings.tz).date()
        month = {"since": str(today - timedelta(days=30)), "until": str(today)}
        quarter = {"since": str(today - timedelta(weeks=13) + timedelta(days=1)),
                   "until": str(today)}
        staff = str(seeded["staff"])
        logs = {
            "log urgent + staff": {"urgency": "urgent", "staff": staff},
            "log resolved, last 30 days": {"state": "resolved", **month},
            "log one patient": {"patient": str(seeded["patient_ref"])},
            "log voice + staff, quarter": {"channel": "voice", "staff": staff, **quarter},
            "log escalated, last 30 days": {"outcome": "escalated", **month},
            "log deep page (before)": {"urgency": "urgent", "before": str(args.contacts // 3)},
        }
        for turn in range(3 + args.rounds):  # three rounds to warm the caches, then timed
            if turn == 3:
                times.clear()
            for name, query in logs.items():
                timed(client, "/manager/log", times.setdefault(name, []), query)
            for measure in ("page", "ack", "resolve"):
                timed(client, "/manager/charts/response-times.svg",
                      times.setdefault(f"chart {measure}, quarter", []),
                      {**quarter, "measure": measure})
        for _ in range(max(args.rounds // 10, 3)):
            timed(client, "/manager", times.setdefault("overview, quarter", []), quarter)
            timed(client, f"/manager/c/B{args.contacts // 2:07d}",
                  times.setdefault("timeline", []), {})
            timed(client, "/manager/audit", times.setdefault("access audit", []), {})
        rt.engine.dispose()
    finally:
        if database:
            database.drop()
    print(f"manager pages: {args.db}, {args.contacts} contacts, {seeded['events']} log "
          f"entries (loaded in {seeded['loaded_s']} s), {args.rounds} rounds")
    result: dict[str, object] = {"db": args.db, "contacts": args.contacts,
                                 "events": seeded["events"], "requests": {}}
    verdict = True
    for name, found in times.items():
        found.sort()
        p99 = found[int(0.99 * (len(found) - 1))]
        goal = 200 if name.startswith("log") else 500 if name.startswith("chart") else None
        verdict = verdict and (goal is None or p99 < goal)
        result["requests"][name] = {"n": len(found),  # type: ignore[index]
                                    "p50_ms": round(statistics.median(found), 1),
                                    "p99_ms": round(p99, 1), "max_ms": round(found[-1], 1)}
        print(f"  {name:<30} n={len(found):<4} p50 {statistics.median(found):7.1f} ms  "
              f"p99 {p99:7.1f} ms  max {found[-1]:7.1f} ms"
              + (f"  (goal < {goal} ms)" if goal else ""))
    print(f"goals (log p99 < 200 ms, quarter charts < 500 ms): {'PASS' if verdict else 'FAIL'}")
    write_result(f"manager-{args.db}", result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
