"""Voice line benchmark: every voice webhook's latency, through the whole Flask app.

    python bench/voice_bench.py [--db sqlite|postgresql] [--calls 200]

Builds the hub (create_app, ``HUB_ENGINE=separate``: the web tier alone, as in production
with ``hub scheduler`` processes beside it) on a fresh database with the test practice
(tests/practice.py) and walks ``--calls`` calls of each kind through Flask's test client,
signed as Twilio signs them, following the TwiML the hub answers (tests/caller.py):
a patient who presses 1 and is accepted by the nurse (voice, menu, whisper, accept,
dial-done); a stranger who picks a language and keys a birth date and hangs up while the
nurse's phone rings (voice, language, birth-date, menu, status); a patient who leaves a
voicemail (voice, menu, voicemail-done, transcription). Each request is timed from the
signed POST to the whole answer (signature check, database work, TwiML). Prints p50/p99/max
per webhook and writes bench/results/voice.json. Goal: every p99 under 30 ms.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from benchkit import PG_ADMIN_URL, PostgresDatabase, test_client_hub, write_result  # noqa: E402
from twilio.request_validator import RequestValidator  # noqa: E402

from tests.caller import Caller  # noqa: E402
from tests.conftest import ACCOUNT_SID, AUTH_TOKEN, PUBLIC_URL  # noqa: E402
from tests.practice import BEN, ROSA, STRANGER, WALTER, seed  # noqa: E402

ROUTE = re.compile(r"/\d+")


class TimedTwilio:
    """Posts webhooks as Twilio does (signed) and times each, by route."""

    def __init__(self, client) -> None:  # type: ignore[no-untyped-def]
        self.client = client
        self.validator = RequestValidator(AUTH_TOKEN)
        self.times: dict[str, list[float]] = defaultdict(list)

    def post(self, path: str, params: dict[str, str]):  # type: ignore[no-untyped-def]
        signature = self.validator.compute_signature(PUBLIC_URL + path, params)
        start = time.perf_counter()
        response = self.client.post(path, data=params, headers={"X-Twilio-Signature": signature})
        response.get_data()
        self.times[ROUTE.sub("/<id>", path)].append((time.perf_counter() - start) * 1000)
        assert response.status_code < 400, (path, response.status_code)
        return response


def one_round(twilio: TimedTwilio, seconds: int) -> None:
    walter = Caller(twilio, WALTER)
    walter.call()
    walter.press("1")
    walter.staff_leg(BEN).press("1")
    walter.dial_ends("completed", seconds)
    stranger = Caller(twilio, STRANGER)
    stranger.call()
    stranger.press("1")
    stranger.press("02111948")
    stranger.press("1")
    stranger.hang_up()
    rosa = Caller(twilio, ROSA)
    rosa.call()
    rosa.press("2")
    rosa.record("necesito una receta")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="hub-voice-bench-"))
    database = PostgresDatabase(PG_ADMIN_URL) if args.db == "postgresql" else None
    url = database.url if database else f"sqlite:///{workdir}/voice.db"
    policy = workdir / "escalation.toml"
    policy.write_text('[[steps]]\ntargets = ["continuity"]\nchannels = ["sms"]\n'
                      'wait_seconds = 120\n[[steps]]\ntargets = ["backup"]\n'
                      'channels = ["sms"]\nwait_seconds = 120\n')
    app = test_client_hub(
        url, workdir, HUB_ENGINE="separate", HUB_PUBLIC_URL=PUBLIC_URL,
        TWILIO_ACCOUNT_SID=ACCOUNT_SID, TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        TWILIO_PHONE_NUMBER="+12025550100", HUB_ESCALATION_POLICY=str(policy))
    rt = app.extensions["hub"]
    try:
        with app.app_context(), rt.sessions() as session:
            seed(session)
        twilio = TimedTwilio(app.test_client())
        for _ in range(10):  # warm the statement caches and the pool
            one_round(twilio, 60)
        twilio.times.clear()
        for n in range(args.calls):
            one_round(twilio, 60 + n)
        rt.engine.dispose()
    finally:
        if database:
            database.drop()
    result: dict[str, object] = {"db": args.db, "calls_of_each_kind": args.calls,
                                 "webhooks": {}}
    print(f"voice webhooks: {args.db}, {args.calls} calls of each of three kinds")
    worst = 0.0
    for route, times in sorted(twilio.times.items()):
        times.sort()
        p99 = times[int(0.99 * (len(times) - 1))]
        worst = max(worst, p99)
        result["webhooks"][route] = {  # type: ignore[index]
            "requests": len(times), "p50_ms": round(statistics.median(times), 2),
            "p99_ms": round(p99, 2), "max_ms": round(times[-1], 2)}
        print(f"  {route:<34} n={len(times):<5} p50 {statistics.median(times):6.2f} ms  "
              f"p99 {p99:6.2f} ms  max {times[-1]:6.2f} ms")
    print(f"goal every p99 < 30 ms: {'PASS' if worst < 30 else 'FAIL'} (worst {worst:.1f} ms)")
    write_result("voice", result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
