"""The practice's nightly backup is worth having: a ``pg_dump`` of a working line, restored
with ``pg_restore`` into a fresh database, verifies (the log's chain is whole) and reads with
the practice's keys; without them it shows nothing."""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.conftest import HUB_COMMAND, PG_ADMIN_URL, user_env
from tests.practice import WALTER


def _libpq(url: str) -> str:
    """The URL as pg_dump and pg_restore take it (no SQLAlchemy driver name)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture
def restored_database():
    """An empty database to restore into, dropped afterwards."""
    name = f"hub_restore_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE datname = :n"), {"n": name})
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


@pytest.mark.skipif(not shutil.which("pg_dump"), reason="PostgreSQL's client tools not here")
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_last_nights_backup_restores_verifies_and_reads_with_the_keys(
        tmp_path, settings_for, rt, twilio, twilio_api, practice, restored_database):
    twilio.sms(WALTER, "my ankles are swollen again")
    (page,) = twilio_api.wait_for(1)
    twilio.sms(page.form["To"], "ACK " + page.form["Body"].rsplit(" ", 1)[-1])
    dump = tmp_path / "careline.dump"
    subprocess.run(["pg_dump", "-Fc", "-f", str(dump), _libpq(settings_for["HUB_DATABASE_URL"])],
                   check=True, capture_output=True, timeout=120)
    subprocess.run(["pg_restore", "--no-owner", "-d", _libpq(restored_database), str(dump)],
                   check=True, capture_output=True, timeout=120)

    def hub(*args: str, **changed: str):
        env = user_env(tmp_path, **{**settings_for, "HUB_DATABASE_URL": restored_database,
                                    **changed})
        return subprocess.run([HUB_COMMAND, *args], env=env, capture_output=True, text=True,
                              timeout=120)

    verified = hub("verify-log")
    assert verified.returncode == 0, verified.stderr
    exported = hub("export-log", "--format", "json")
    assert exported.returncode == 0, exported.stderr
    events = {entry["event"] for entry in json.loads(exported.stdout)}
    assert {"contact.received", "contact.acknowledged"} <= events
    assert "my ankles are swollen again" in exported.stdout
    stranger = hub("export-log", "--format", "json",
                   HUB_ENCRYPTION_KEYS=Fernet.generate_key().decode())
    assert stranger.returncode == 2 and "ankles" not in stranger.stdout + stranger.stderr
