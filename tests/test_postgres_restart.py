"""PostgreSQL itself restarts in the middle of a busy night (an upgrade, a crash and
recovery): every text answered 200 during it is a contact afterwards, exactly once, and
paged. The texts that came while it was down were kept on the host's spool."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from hub.models import Contact
from messages.engine import tick
from tests.practice import ROSA, WALTER

CLUSTERS = Path("/etc/postgresql")


def _cluster() -> list[str] | None:
    """The local cluster's pg_ctlcluster arguments, when this machine lets us restart it."""
    if not shutil.which("pg_ctlcluster") or not CLUSTERS.is_dir() or os.geteuid() != 0:
        return None
    versions = sorted(p.name for p in CLUSTERS.iterdir())
    return ["pg_ctlcluster", "--skip-systemctl-redirect", versions[0], "main"] if versions else None


@pytest.mark.skipif(_cluster() is None, reason="no local PostgreSQL cluster this test may restart")
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_every_text_answered_while_postgresql_restarts_is_a_contact_once(
        app, rt, twilio, practice):
    sent: list[tuple[str, int]] = []
    stop = threading.Event()

    def patients_texting() -> None:
        from tests.conftest import Twilio

        phone = Twilio(app.test_client())
        number = 0
        while not stop.is_set():
            sid = "SM" + uuid.uuid4().hex
            answer = phone.sms((WALTER, ROSA)[number % 2], f"message {number} tonight", sid)
            sent.append((sid, answer.status_code))
            number += 1
            time.sleep(0.05)

    texting = threading.Thread(target=patients_texting)
    texting.start()
    try:
        time.sleep(1)
        restarted = subprocess.run([*_cluster(), "restart"], capture_output=True, text=True,
                                   timeout=120)
        assert restarted.returncode == 0, restarted.stderr
        time.sleep(2)
    finally:
        stop.set()
        texting.join(timeout=60)
        subprocess.run([*_cluster(), "start"], capture_output=True, timeout=120)  # if not up

    assert len(sent) > 40 and {status for _sid, status in sent} == {200}
    for _ in range(20):  # the engine takes the spool in and pages
        tick(rt)
        with rt.sessions() as session:
            stored = session.scalar(select(func.count()).select_from(Contact))
        if stored == len(sent):
            break
        time.sleep(0.5)
    with rt.sessions() as session:
        sids = list(session.scalars(select(Contact.provider_sid)))
    assert sorted(sids) == sorted(sid for sid, _status in sent)  # each once, none lost
