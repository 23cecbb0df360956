"""Quiet, useful logs: an operator following a contact in the journal sees one line per
event of its life (no patient data), and nothing for the engine's once-a-second heartbeat."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from sqlalchemy import select

from hub import contact_log
from hub.models import Contact
from messages.engine import tick
from tests.practice import WALTER

ROOT = Path(__file__).resolve().parents[1]


def test_a_nurse_acks_a_night_text_and_the_journal_tells_the_story_without_the_patient(
        rt, twilio, twilio_api, practice, caplog):
    caplog.set_level(logging.INFO, logger="hub.events")
    twilio.sms(WALTER, "my ankles are swollen again, Walter")
    tick(rt)
    (page,) = twilio_api.wait_for(1)
    code = page.form["Body"].rsplit(" ", 1)[-1]
    twilio.sms(page.form["To"], f"ACK {code}")
    with rt.sessions() as session:
        contact_id = session.scalar(select(Contact.id))
    lines = [r.getMessage() for r in caplog.records if r.name == "hub.events"]
    ours = [line for line in lines if f" contact={contact_id} " in line]
    events = [line.split()[0] for line in ours]
    assert events[0] == "event=contact.received" and "event=contact.triaged" in events
    assert "event=contact.acknowledged" in events
    assert all(line.split()[2].startswith("seq=") for line in ours)
    joined = "\n".join(lines)
    for secret in ("Walter", "ankles", "swollen", WALTER, WALTER[2:]):
        assert secret not in joined


def test_an_event_rolled_back_never_reaches_the_journal(rt, caplog):
    caplog.set_level(logging.INFO, logger="hub.events")
    with rt.sessions() as session:
        contact_log.append(session, "security.test_event")
        session.rollback()
    with rt.sessions() as session:
        contact_log.append(session, "security.kept_event")
        session.commit()
    lines = [r.getMessage() for r in caplog.records if r.name == "hub.events"]
    assert [line.split()[0] for line in lines] == ["event=security.kept_event"]


def test_the_local_hub_ticking_for_seconds_writes_no_line_per_tick(tmp_path):
    """``python app.py``: the engine ticks once a second inside the web process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HUB_", "TWILIO_"))}
    env.update(PYTHONPATH=str(ROOT), HUB_INSTANCE_DIR=str(tmp_path / "instance"))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    hub = subprocess.Popen([sys.executable, "app.py", "--port", str(port)], cwd=ROOT, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out: list[str] = []
    err: list[str] = []
    seeded = threading.Event()

    def read(stream, lines: list[str]) -> None:  # type: ignore[no-untyped-def]
        for line in stream:
            lines.append(line)
            if "demo practice seeded" in line:
                seeded.set()

    readers = [threading.Thread(target=read, args=(hub.stdout, out), daemon=True),
               threading.Thread(target=read, args=(hub.stderr, err), daemon=True)]
    for reader in readers:
        reader.start()
    try:
        assert seeded.wait(90), "the local hub did not start: " + "".join(err)[-2000:]
        time.sleep(5)  # some five ticks after start-up
    finally:
        hub.terminate()
        hub.wait(timeout=30)
        for reader in readers:
            reader.join(10)
        hub.stdout.close()  # type: ignore[union-attr]
        hub.stderr.close()  # type: ignore[union-attr]
    said = "".join(err)
    assert "apscheduler" not in said and "Running job" not in said and "executed" not in said


def test_a_one_shot_command_prints_its_answer_not_the_journal(tmp_path):
    """``hub patients`` writes an access entry; the journal line stays with the engines."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HUB_", "TWILIO_"))}
    env.update(PYTHONPATH=str(ROOT), HUB_INSTANCE_DIR=str(tmp_path / "instance"))
    hub = str(Path(sys.executable).with_name("hub"))
    subprocess.run([hub, "seed-demo"], env=env, capture_output=True, check=True, timeout=120)
    listed = subprocess.run([hub, "patients"], env=env, capture_output=True, text=True,
                            timeout=120)
    assert "Walter Demo" in listed.stdout and listed.stderr == ""
