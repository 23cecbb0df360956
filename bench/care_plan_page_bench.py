"""Care plan page benchmark: how fast a rich care plan renders, through the whole Flask app.

    python bench/care_plan_page_bench.py [--db sqlite|postgresql] [--renders 300]
                                         [--patients 1000] [--contacts 200] [--size 4]

Builds the hub (create_app) on a fresh database, imports a synthetic export of ``--patients``
patients (bench/synthetic_export.py) of which the first has a plan ``--size`` times richer
than the others (with --size 4: 8 goals, 24 activities, 8 problems, 8 medications, 4
allergies, 2 caregivers with their consent), gives that patient ``--contacts`` past
contacts, signs a nurse in through the login form and times ``GET
/staff/p/<ref>/care-plan`` through Flask's test client: the route, a dozen queries,
decryption of every field, the template and the access-log entry (a write and a commit),
each time. Prints p50/p99/max and writes bench/results/care_plan_page.json.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from benchkit import PG_ADMIN_URL, PostgresDatabase, test_client_hub, write_result  # noqa: E402
from sqlalchemy import insert, select  # noqa: E402
from synthetic_export import export  # noqa: E402
from werkzeug.security import generate_password_hash  # noqa: E402

from hub.fhir.importer import import_bundle  # noqa: E402
from hub.models import Contact, Patient, Staff, utcnow  # noqa: E402
from tests.staff_login import sign_in  # noqa: E402

BODIES = ["My weight is up 3 lb since yesterday and my ankles are swollen",
          "Can I take the water pill later today? I have a doctor visit",
          "Dad is more short of breath tonight when he lies down",
          "Need a refill of metformin please"]


def seed(rt, patients: int, size: int, contacts: int) -> str:  # type: ignore[no-untyped-def]
    """Import the export, give the rich patient a history, let a nurse sign in; its ref."""
    bundle = export(patients, first_size=size)
    with rt.sessions() as session:
        import_bundle(session, bundle)
        session.commit()
        walter = session.scalars(select(Patient).where(Patient.fhir_id == "p0")).one()
        nurse = session.scalars(select(Staff).where(Staff.fhir_id == "staff-0")).one()
        nurse.password_hash = generate_password_hash("bench-night")
        now = utcnow()
        session.execute(insert(Contact), [
            {"ref": uuid.uuid4().hex[:12], "channel": "sms", "from_number": "+13030000000",
             "body": BODIES[n % len(BODIES)], "received_at": now - timedelta(hours=n),
             "status": "resolved", "match": "patient", "patient_id": walter.id,
             "urgency": "urgent" if n % 7 == 0 else "routine"} for n in range(contacts)])
        session.commit()
        return f"/staff/p/{walter.ref}/care-plan"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--renders", type=int, default=300)
    parser.add_argument("--patients", type=int, default=1000)
    parser.add_argument("--contacts", type=int, default=200)
    parser.add_argument("--size", type=int, default=4)
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="hub-page-bench-"))
    database = PostgresDatabase(PG_ADMIN_URL) if args.db == "postgresql" else None
    url = database.url if database else f"sqlite:///{workdir}/page.db"
    app = test_client_hub(url, workdir)
    rt = app.extensions["hub"]
    try:
        started = time.perf_counter()
        link = seed(rt, args.patients, args.size, args.contacts)
        seeded = time.perf_counter() - started
        client = app.test_client()
        login = sign_in(client, "staff0@bench.test", "bench-night")
        assert login.status_code == 302, "the nurse could not sign in"
        page = client.get(link)
        html = page.get_data(as_text=True)
        assert page.status_code == 200 and "Meals on Wheels" in html, "the page did not render"
        for _ in range(20):
            client.get(link)  # warm the template, statement caches and the pool
        times = []
        for _ in range(args.renders):
            start = time.perf_counter()
            answer = client.get(link)
            answer.get_data()
            times.append((time.perf_counter() - start) * 1000)
            assert answer.status_code == 200
        rt.engine.dispose()
    finally:
        if database:
            database.drop()
    times.sort()
    result = {"db": args.db, "patients": args.patients, "contacts": args.contacts,
              "size": args.size, "renders": args.renders, "page_kb": round(len(html) / 1024, 1),
              "p50_ms": statistics.median(times), "p99_ms": times[int(0.99 * len(times))],
              "max_ms": times[-1]}
    print(f"care plan page benchmark: {args.db}, {args.patients:,} patients (seeded in "
          f"{seeded:.1f} s), the rich plan x{args.size} with {args.contacts} past contacts, "
          f"{result['page_kb']} KB of HTML, {args.renders} renders")
    print(f"  p50 {result['p50_ms']:.1f} ms  p99 {result['p99_ms']:.1f} ms  "
          f"max {result['max_ms']:.1f} ms")
    print(f"goal p99 < 100 ms: {'PASS' if result['p99_ms'] < 100 else 'FAIL'}")
    write_result("care_plan_page", result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
