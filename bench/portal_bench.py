"""Portal benchmark: a portal message (the form's POST) until the page to the on-call nurse
leaves, as the text benchmark measures a text.

    python bench/portal_bench.py [--messages 300] [--patients 20] [--db postgresql|sqlite]
                                 [--engine separate|inline] [--gap-ms 20]

Starts the hub under gunicorn (``-w 2``, gthread, 4 threads; ``'app:create_app()'`` from the
repo root, configured by environment variables) against a fresh PostgreSQL database (or a
SQLite file), paging through the loopback fake Twilio REST API (``tests/fake_twilio.py``),
with a ``hub scheduler`` process (``--engine separate``, as the text benchmark's default) or
the web workers paging themselves (``inline``). ``--patients`` patients sign in over HTTP as a
browser does (the form, the code read from the text the fake Twilio API received, the
code). Then ``--messages`` portal messages, one at a time, from those patients in turn: each
loads the conversation (its CSRF and idempotency tokens) and posts a message. Measured: the
POST's answer (the page the patient sees, with the auto-answer) and POST start -> the page
SMS to the nurse reaching the fake Twilio API. Goal: p99 of the second under 1 s.
Prints the figures and writes ``bench/results/portal_<db>.json``.
"""

from __future__ import annotations

import argparse
import http.client
import platform
import re
import sys
import tempfile
import time
import urllib.parse
from http.cookies import SimpleCookie
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from benchkit import (  # noqa: E402
    Background,
    Gunicorn,
    PostgresDatabase,
    distribution_ms,
    free_port,
    write_result,
)
from page_timing import ben_pages, wait_pages  # noqa: E402
from webhook_bench import (  # noqa: E402
    PG_ADMIN_URL,
    hub_settings,
    seed_practice,
    server_env,
)

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
TOKEN = re.compile(r'name="token" value="([^"]+)"')
CODE = re.compile(r"\b(\d{6})\b")
GOAL_S = 1.0
BODY = "I feel short of breath since this morning"  # what the text benchmark sends (urgent)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=300, help="portal messages, one at a time")
    parser.add_argument("--patients", type=int, default=20, help="patients signed in")
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="postgresql")
    parser.add_argument("--engine", choices=("inline", "separate"), default="separate",
                        help="HUB_ENGINE: a `hub scheduler` process pages, or the web workers")
    parser.add_argument("--gap-ms", type=float, default=20.0, help="pause between messages")
    parser.add_argument("--warmup", type=int, default=10, help="uncounted messages first")
    return parser.parse_args(argv)


class Browser:
    """One patient's browser: its cookies, over plain http.client (no redirects followed)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict[str, str] | None = None
                ) -> tuple[int, str, dict[str, str]]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=headers)
            answer = conn.getresponse()
            text = answer.read().decode()
            for line in answer.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(line).items():
                    self.cookies[name] = morsel.value
            return answer.status, text, dict(answer.headers)
        finally:
            conn.close()


def sign_in(browser: Browser, fake, number: str) -> str:  # type: ignore[no-untyped-def]
    """The portal's sign-in as a person does it; the conversation's path."""
    _, form, _ = browser.request("GET", "/portal")
    csrf = CSRF.search(form).group(1)  # type: ignore[union-attr]
    texts_before = len(fake.sent_to(number))
    status, _, _ = browser.request("POST", "/portal/code", {"phone": number, "csrf_token": csrf})
    if status != 200:
        raise SystemExit(f"asking for a code answered {status}")
    deadline = time.monotonic() + 60  # the scheduler may still be starting
    while len(fake.sent_to(number)) <= texts_before:
        if time.monotonic() > deadline:
            raise SystemExit(f"no code reached {number}")
        time.sleep(0.02)
    code = CODE.search(fake.sent_to(number)[-1].form["Body"]).group(1)  # type: ignore[union-attr]
    status, _, headers = browser.request("POST", "/portal/verify",
                                         {"code": code, "csrf_token": csrf})
    if status != 302:
        raise SystemExit(f"the code answered {status}")
    return urllib.parse.urlsplit(headers["Location"]).path


def send(browser: Browser, path: str, body: str) -> tuple[float, float, int]:
    """Load the conversation and post a message: (start, seconds to the answer, status)."""
    _, page, _ = browser.request("GET", path)
    form = {"csrf_token": CSRF.search(page).group(1),  # type: ignore[union-attr]
            "token": TOKEN.search(page).group(1), "body": body}  # type: ignore[union-attr]
    start = time.monotonic()
    status, _, _ = browser.request("POST", path, form)
    return start, time.monotonic() - start, status


def run(args: argparse.Namespace) -> dict:  # type: ignore[type-arg]
    from tests.fake_twilio import FakeTwilio
    from tests.practice import add_patients

    tmp = Path(tempfile.mkdtemp(prefix="portal-bench-"))
    fake = FakeTwilio().start()
    database = PostgresDatabase(PG_ADMIN_URL) if args.db == "postgresql" else None
    database_url = database.url if database else f"sqlite:///{tmp / 'hub.db'}"
    port = free_port()
    settings = {**hub_settings(database_url, port, fake.url, tmp / "instance"),
                "HUB_ENGINE": args.engine,
                # every patient signs in from this one address: the per-address limit aside
                "HUB_PORTAL_CODE_LIMIT": "100000 per minute"}
    numbers = [f"+1720555{i:04d}" for i in range(args.patients)]
    log_path = tmp / "hub-gunicorn.log"
    server = Gunicorn("app:create_app()", port, ROOT, server_env(settings), log_path, 2,
                      ["--threads", "4"])
    engine = (Background([str(Path(sys.executable).with_name("hub")), "scheduler"], ROOT,
                         server_env(settings), log_path) if args.engine == "separate" else None)
    try:
        seed_practice(settings, then=lambda session, practice: add_patients(
            session, practice, numbers))
        server.start(health_path="/healthz")
        if engine:
            engine.start()
        browsers = [Browser(port) for _ in numbers]
        paths = [sign_in(b, fake, n) for b, n in zip(browsers, numbers, strict=True)]
        answers: list[float] = []
        delays: list[float] = []
        statuses: dict[int, int] = {}
        missing = 0
        for i in range(args.warmup + args.messages):
            who = i % len(browsers)
            before = len(ben_pages(fake))
            start, took, status = send(browsers[who], paths[who],
                                       BODY)
            pages = wait_pages(fake, before + 1, timeout=5.0)
            if i < args.warmup:
                continue
            statuses[status] = statuses.get(status, 0) + 1
            answers.append(took)
            if len(pages) > before:
                delays.append(pages[before].at - start)
            else:
                missing += 1
            time.sleep(args.gap_ms / 1000)
    finally:
        if engine:
            engine.stop()
        server.stop()
        fake.stop()
        if database:
            database.drop()
    to_page = distribution_ms(delays)
    return {"date": time.strftime("%Y-%m-%d"), "machine": platform.machine(),
            "db": args.db, "engine": args.engine, "messages": args.messages,
            "patients": args.patients, "statuses": statuses,
            "post_answer_ms": distribution_ms(answers), "post_to_page_ms": to_page,
            "pages_missing": missing,
            "goal": f"post -> page p99 < {GOAL_S * 1000:.0f} ms",
            "pass": missing == 0 and (to_page.get("p99_ms") or 1e9) < GOAL_S * 1000}


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    result = run(args)
    post, page = result["post_answer_ms"], result["post_to_page_ms"]
    print(f"portal bench: {args.messages} messages from {args.patients} signed-in patients, "
          f"{args.db}, engine {args.engine}; statuses {result['statuses']}")
    print(f"{'':24}{'p50':>8}{'p95':>8}{'p99':>8}{'max':>8}  (ms)")
    for label, figures in (("POST -> answer page", post), ("POST -> page SMS sent", page)):
        print(f"{label:24}" + "".join(f"{figures.get(k) or 0:>8.0f}"
                                      for k in ("p50_ms", "p95_ms", "p99_ms", "max_ms")))
    print(f"pages missing: {result['pages_missing']}; goal {result['goal']}: "
          f"{'PASS' if result['pass'] else 'FAIL'}")
    print(f"written to {write_result(f'portal_{args.db}', result)}")


if __name__ == "__main__":
    main()
