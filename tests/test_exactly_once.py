"""Several engine processes side by side: every escalation step fires once, and only once.

A storm at night: a thousand contacts wait for their next step, all due in the same minute,
while three ``hub scheduler`` processes run (as on three hosts sharing one database). The
backup nurse is paged exactly once per contact (alone or in a bundle), counted at the Twilio
API. A process killed with SIGKILL in the middle of a step loses nothing: another process
fires that step, once.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select

from hub.models import Contact, Outbound, Page, Timer, utcnow
from tests.conftest import HUB_COMMAND
from tests.practice import MAYA, WALTER

ROOT = Path(__file__).resolve().parents[1]
STORM = 1000
PR_SET_PDEATHSIG = 1  # prctl(2)


@pytest.fixture
def policy_file(tmp_path: Path) -> Path:
    """The care manager or primary, then the backup for an hour: one step to watch. No SMS
    limit: a storm to one person is bundled (tests/test_page_limits.py), every contact still
    named exactly once."""
    path = tmp_path / "escalation.toml"
    path.write_text(
        '[[steps]]\ntargets = ["continuity"]\nchannels = ["sms"]\nwait_seconds = 120\n'
        '[[steps]]\ntargets = ["backup"]\nchannels = ["sms"]\nwait_minutes = 60\n'
        '[limits]\nsms_per_person = 100000\n')
    return path


def _until_every_page_is_out(rt, timeout: float) -> None:  # type: ignore[no-untyped-def]
    """Wait until all step-1 pages were fired and none waits to be sent (then a little more,
    for a duplicate to show up if any would)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with rt.engine.connect() as conn:
            fired = conn.scalar(select(func.count()).select_from(Timer).where(
                Timer.step == 1, Timer.fired_at.is_not(None)))
            waiting = conn.scalar(select(func.count()).select_from(Outbound).where(
                Outbound.status.in_(("pending", "sending"))))
        if fired == STORM and waiting == 0:
            time.sleep(2)
            return
        time.sleep(0.2)
    raise AssertionError(f"after {timeout} s: {fired} steps fired, {waiting} pages waiting")


def _env(settings: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HUB_", "TWILIO_"))}
    return {**env, **settings, "PYTHONPATH": str(ROOT)}


def _die_with_the_test_run() -> None:
    """In the child: SIGTERM when pytest itself dies, so no engine outlives a killed run."""
    ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").prctl(PR_SET_PDEATHSIG,
                                                                    signal.SIGTERM)


def _engines(settings: dict[str, str], count: int) -> list[subprocess.Popen[bytes]]:
    return [subprocess.Popen([HUB_COMMAND, "scheduler", "--interval", "0.05"],
                             cwd=ROOT, env=_env(settings), stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, start_new_session=True,
                             preexec_fn=_die_with_the_test_run)
            for _ in range(count)]


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _waiting_contacts(rt, walter_id: int, first_due, spread_seconds: float) -> None:  # type: ignore[no-untyped-def]
    """``STORM`` of Walter's texts, each paged at step 0 and due for step 1 (the backup)
    between ``first_due`` and ``spread_seconds`` later."""
    now = utcnow()
    with rt.engine.begin() as conn:
        conn.execute(insert(Contact), [
            {"id": i, "ref": f"S{i:07d}", "channel": "sms", "provider_sid": f"SMstorm{i}",
             "from_number": WALTER, "body": "my chest hurts", "received_at": now,
             "status": "paging", "match": "patient", "patient_id": walter_id,
             "urgency": "routine", "triage": "{}", "ack_code": f"{i:05d}",
             "escalation_step": 0, "version": 1} for i in range(1, STORM + 1)])
        conn.execute(insert(Timer), [
            {"contact_id": i, "kind": "escalate", "step": 1, "version": 0,
             "due_at": first_due + timedelta(seconds=spread_seconds * i / STORM)}
            for i in range(1, STORM + 1)])


def _assert_every_page_went_out_once(rt, twilio_api) -> None:  # type: ignore[no-untyped-def]
    """Each contact's page was sent, alone or in a bundle that was sent; the Twilio API got
    one request per SMS sent, and no contact was named in two of them."""
    with rt.engine.connect() as conn:
        pages = conn.execute(select(Outbound.contact_id, Outbound.status, Outbound.bundle_id)
                             .where(Outbound.kind == "page")).all()
        sent_bundles = set(conn.scalars(select(Outbound.id).where(
            Outbound.kind == "bundle", Outbound.status == "sent")))
        sent = conn.scalar(select(func.count()).select_from(Outbound)
                           .where(Outbound.status == "sent"))
    assert sorted(page.contact_id for page in pages) == list(range(1, STORM + 1))
    assert all(page.status == "sent" or (page.status == "bundled"
                                         and page.bundle_id in sent_bundles) for page in pages)
    assert len(twilio_api.requests) == sent, "one request per SMS or bundle sent"
    named: Counter[str] = Counter()
    for request in twilio_api.sent_to(MAYA):
        named.update(set(re.findall(r"S\d{7}", request.form.get("Body", ""))))
    assert max(named.values()) == 1, "no contact paged twice"


def _assert_each_step_fired_once(rt) -> None:  # type: ignore[no-untyped-def]
    with rt.engine.connect() as conn:
        per_contact = dict(conn.execute(
            select(Page.contact_id, func.count()).where(Page.step == 1)
            .group_by(Page.contact_id)).all())
        outcomes = Counter(dict(conn.execute(
            select(Timer.outcome, func.count()).where(Timer.step == 1)
            .group_by(Timer.outcome)).all()))
        next_steps = conn.scalar(select(func.count()).select_from(Timer)
                                 .where(Timer.step == 2))
    assert len(per_contact) == STORM and set(per_contact.values()) == {1}
    assert outcomes == Counter({"fired": STORM})
    assert next_steps == STORM


def test_three_engines_page_a_storm_of_due_steps_exactly_once(rt, practice, twilio_api,
                                                             settings_for):
    _waiting_contacts(rt, practice.walter.id, utcnow() + timedelta(seconds=4), 20)
    engines = _engines(settings_for, 3)
    try:
        _until_every_page_is_out(rt, timeout=180)
    finally:
        _stop(engines)

    _assert_each_step_fired_once(rt)
    _assert_every_page_went_out_once(rt, twilio_api)


CLAIM_AND_HANG = """
import sys, time
from app import create_app
from hub.models import utcnow
from routing.timers import claim_due
rt = create_app().extensions["hub"]
session = rt.sessions()
session.begin()
claimed = claim_due(session, utcnow(), 200)
print(len(claimed), flush=True)
time.sleep(600)
"""


def test_an_engine_killed_in_the_middle_of_a_step_loses_nothing(rt, practice, twilio_api,
                                                               settings_for):
    _waiting_contacts(rt, practice.walter.id, utcnow() - timedelta(seconds=1), 0)
    # One process takes 200 due steps in its transaction and dies before committing.
    dying = subprocess.Popen([sys.executable, "-c", CLAIM_AND_HANG], cwd=ROOT,
                             env=_env(settings_for), stdout=subprocess.PIPE, text=True,
                             start_new_session=True, preexec_fn=_die_with_the_test_run)
    engines: list[subprocess.Popen[bytes]] = []
    try:
        line = dying.stdout.readline() if dying.stdout else ""
        assert line.strip() == "200", f"the dying engine claimed {line!r}"
        engines = _engines(settings_for, 2)
        time.sleep(1)  # the others work around the held rows meanwhile (SKIP LOCKED / busy)
        os.killpg(dying.pid, signal.SIGKILL)
        dying.wait(timeout=10)
        _until_every_page_is_out(rt, timeout=180)
    finally:
        if dying.poll() is None:
            os.killpg(dying.pid, signal.SIGKILL)
            dying.wait(timeout=10)
        if dying.stdout:
            dying.stdout.close()
        _stop(engines)

    _assert_each_step_fired_once(rt)
    _assert_every_page_went_out_once(rt, twilio_api)

