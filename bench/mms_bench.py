"""MMS benchmark: does a text with a photo still answer Twilio in milliseconds?

In one process (the Flask test client, no HTTP server: the view's own time), on a fresh
SQLite file or PostgreSQL database, with the loopback fake Twilio holding the photos:

1. N signed texts without media, then N with one photo each (``NumMedia=1``): the webhook's
   p50/p95/p99. ``HUB_ENGINE=separate``, so no background work runs during the timing: what
   the photo adds to the request is the ``media_fetches`` row, nothing fetched;
2. the engine's ``media`` duty then fetches, stores (encrypted) and deletes every photo:
   photos per second, and the time per photo.

    python bench/mms_bench.py [--requests 200] [--db sqlite|postgresql] [--photo-kb 300]

Prints the figures (and writes bench/results/mms.json).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from benchkit import PostgresDatabase, distribution_ms  # noqa: E402
from twilio.request_validator import RequestValidator  # noqa: E402

ACCOUNT_SID = "AC" + "1" * 32
AUTH_TOKEN = "bench-auth-token-0123456789abcdef"
PUBLIC_URL = "https://hub.example.test"
PRACTICE = "+12025550100"
WALTER = "+12025550142"
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--photo-kb", type=int, default=300, help="size of each photo")
    args = parser.parse_args(argv)

    from cryptography.fernet import Fernet

    from app import create_app
    from hub.models import utcnow
    from messages.media_fetch import fetch_due
    from tests.fake_twilio import FakeTwilio
    from tests.pictures import jpeg_head
    from tests.practice import seed

    fake = FakeTwilio().start()
    pg = PostgresDatabase(PG_ADMIN) if args.db == "postgresql" else None
    with tempfile.TemporaryDirectory() as tmp:
        url = pg.url if pg is not None else f"sqlite:///{tmp}/hub.db"
        app = create_app({
            "HUB_DATABASE_URL": url, "HUB_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "HUB_INDEX_KEY": "bench-index-" + uuid.uuid4().hex, "HUB_SECRET_KEY": "bench",
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_PHONE_NUMBER": PRACTICE, "HUB_PUBLIC_URL": PUBLIC_URL,
            "HUB_TWILIO_API_URL": fake.url, "HUB_INSTANCE_DIR": f"{tmp}/instance",
            "HUB_SCHEDULER": "off", "HUB_ENGINE": "separate"})
        rt = app.extensions["hub"]
        with rt.sessions() as session:
            seed(session)
            session.commit()
        client = app.test_client()
        validator = RequestValidator(AUTH_TOKEN)
        photo = jpeg_head(args.photo_kb * 1024)

        def post(with_photo: bool) -> float:
            sid = ("MM" if with_photo else "SM") + uuid.uuid4().hex
            params = {"MessageSid": sid, "AccountSid": ACCOUNT_SID, "From": WALTER,
                      "To": PRACTICE, "Body": "my ankle is swollen, photo attached",
                      "NumMedia": "0"}
            if with_photo:
                params.update(NumMedia="1", MediaContentType0="image/jpeg",
                              MediaUrl0=fake.media.add(ACCOUNT_SID, sid, photo, "image/jpeg"))
            signature = validator.compute_signature(PUBLIC_URL + "/twilio/sms", params)
            started = time.perf_counter()
            answer = client.post("/twilio/sms", data=params,
                                 headers={"X-Twilio-Signature": signature})
            took = time.perf_counter() - started
            assert answer.status_code == 200, answer.status_code
            return took

        for _ in range(20):  # warm-up (language models, statement caches)
            post(False)
        plain = distribution_ms([post(False) for _ in range(args.requests)])
        with_photo = distribution_ms([post(True) for _ in range(args.requests)])
        started, fetched = time.perf_counter(), 0
        while True:
            done = fetch_due(rt, utcnow(), limit=50)
            if not done:
                break
            fetched += done
        fetch_s = time.perf_counter() - started
        rt.engine.dispose()
    fake.stop()
    if pg is not None:
        pg.drop()
    results = {"date": time.strftime("%Y-%m-%d"), "db": args.db, "requests": args.requests,
               "photo_kb": args.photo_kb, "webhook_text_ms": plain,
               "webhook_mms_ms": with_photo, "photos_fetched": fetched,
               "fetch_store_delete_s": round(fetch_s, 3),
               "photos_per_s": round(fetched / fetch_s, 1) if fetch_s else None,
               "held_at_twilio_after": len(fake.media.held)}
    print(f"webhook, text only:      p50 {plain['p50_ms']:.1f} ms  p95 {plain['p95_ms']:.1f} ms"
          f"  p99 {plain['p99_ms']:.1f} ms  (n={plain['count']})")
    print(f"webhook, text + 1 photo: p50 {with_photo['p50_ms']:.1f} ms  "
          f"p95 {with_photo['p95_ms']:.1f} ms  p99 {with_photo['p99_ms']:.1f} ms")
    print(f"engine: {fetched} photos of {args.photo_kb} KB fetched, stored encrypted and "
          f"deleted in {fetch_s:.2f} s ({results['photos_per_s']} a second); "
          f"left at Twilio: {results['held_at_twilio_after']}")
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "mms.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
