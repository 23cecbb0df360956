"""Shared fixtures: a migrated database (SQLite, and PostgreSQL if it answers), the app, Twilio."""

from __future__ import annotations

import os
import shutil
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from cryptography.fernet import Fernet
from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from hub import crypto
from hub.db import make_engine, make_session_factory, session_scope, upgrade
from hub.models import Base

PG_ADMIN_URL = os.environ.get(
    "HUB_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REQUIRE_POSTGRES = os.environ.get("HUB_REQUIRE_POSTGRES") == "1"
# The `hub` console script that `pip install` put beside this Python, as a user runs it.
HUB_COMMAND = str(Path(sys.executable).with_name("hub"))
REPO = Path(__file__).resolve().parents[1]
# What a checkout holds that the running hub reads (no tests, benchmarks or git).
CHECKOUT_PARTS = ("app.py", "pyproject.toml", "config", "hub", "messages", "routing")


def user_env(home: Path, **settings: str) -> dict[str, str]:
    """A user's shell for a subprocess: none of this machine's HUB_/TWILIO_ settings, a home
    and XDG folders of its own under ``home`` (nothing reaches the real home), then
    ``settings``."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("HUB_", "TWILIO_", "XDG_", "FLASK_"))}
    env.update(HOME=str(home / "home"), XDG_DATA_HOME=str(home / "home" / ".local" / "share"),
               XDG_CONFIG_HOME=str(home / "home" / ".config"),
               XDG_CACHE_HOME=str(home / "home" / ".cache"))
    env.update(settings)
    return env


def copy_of_checkout(dest: Path, parts: tuple[str, ...] = CHECKOUT_PARTS) -> Path:
    """A fresh copy of the project's checkout at ``dest`` (no instance folder, no caches).

    ``python dest/app.py`` runs the copy; the console script runs it too when PYTHONPATH
    names it (the editable install's finder comes after the path), so a test's instance
    folder is the copy's, never the real checkout's."""
    dest.mkdir(parents=True)
    for part in parts:
        source = REPO / part
        if source.is_dir():
            shutil.copytree(source, dest / part,
                            ignore=shutil.ignore_patterns("__pycache__", "instance"))
        else:
            shutil.copy2(source, dest / part)
    return dest


def _postgres_answers() -> bool:
    try:
        engine = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 2})
        with engine.connect():
            pass
        engine.dispose()
        return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A database of our own on the local PostgreSQL, created for this run and dropped after."""
    if not _postgres_answers():
        if REQUIRE_POSTGRES:
            pytest.fail("HUB_REQUIRE_POSTGRES=1 but PostgreSQL does not answer at " + PG_ADMIN_URL)
        pytest.skip("PostgreSQL does not answer")
    name = f"hub_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    yield url
    admin.dispose()  # its pooled connection may not have outlived a restart of the server
    with admin.connect() as conn:
        conn.execute(text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"
        ), {"n": name})
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (migrating once is much faster)."""
    path = tmp_path_factory.mktemp("template") / "hub.db"
    upgrade(f"sqlite:///{path}")
    return path


def _truncate_all(url: str) -> None:
    engine = create_engine(url)
    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        conn.execute(text("INSERT INTO log_head (id, seq, mac) VALUES (1, 0, '')"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty, migrated database: each test runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "hub.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("postgres_database")
        _truncate_all(url)
        yield url


@pytest.fixture
def keys() -> dict[str, str]:
    """Fresh keys for one test, in the form the settings take them."""
    return {
        "HUB_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "HUB_INDEX_KEY": "test-index-key-" + uuid.uuid4().hex,
        "HUB_SECRET_KEY": "test-secret-" + uuid.uuid4().hex,
    }


@pytest.fixture
def cipher(keys: dict[str, str]) -> crypto.FieldCipher:
    """The field cipher for this test's keys, installed for Encrypted columns."""
    field_cipher = crypto.FieldCipher(
        keys["HUB_ENCRYPTION_KEYS"].split(","), keys["HUB_INDEX_KEY"].encode()
    )
    crypto.install(field_cipher)
    return field_cipher


@pytest.fixture
def session(database_url: str, cipher: crypto.FieldCipher) -> Iterator[Session]:
    """A session on this test's database, for tests of the domain functions."""
    engine = make_engine(database_url)
    factory = make_session_factory(engine)
    with factory() as db:
        yield db
    engine.dispose()


class _Runtime:
    """The parts of the hub's runtime a data command uses: sessions at the edge, the region
    national phone numbers are read in, the practice's time zone (business days)."""

    def __init__(self, url: str) -> None:
        self.settings = SimpleNamespace(phone_region="US", tz=ZoneInfo("America/New_York"))
        self.engine = make_engine(url)
        self.sessions = make_session_factory(self.engine)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with session_scope(self.sessions) as session:
            yield session


@pytest.fixture
def cli_app(database_url: str, cipher: crypto.FieldCipher) -> Iterator[Flask]:
    """A bare Flask app holding only sessions: enough for ``hub import-fhir`` in a test."""
    app = Flask("fhir-import-test")
    runtime = _Runtime(database_url)
    app.extensions["hub"] = runtime
    yield app
    runtime.engine.dispose()


# --- the running hub, Twilio on both sides -------------------------------------------------

ACCOUNT_SID = "AC" + "1" * 32
AUTH_TOKEN = "test-auth-token-0123456789abcdef"
PUBLIC_URL = "https://hub.example.test"
PRACTICE_NUMBER = "+12025550100"


@pytest.fixture(autouse=True)
def _no_outside_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings of the machine running the tests never leak into them."""
    for name in list(os.environ):
        if name.startswith(("HUB_", "TWILIO_")) and name not in (
            "HUB_REQUIRE_POSTGRES", "HUB_TEST_POSTGRES_URL"
        ):
            monkeypatch.delenv(name)


@pytest.fixture
def twilio_api():
    """Twilio's REST API on loopback; every page the hub sends arrives here."""
    from tests.fake_twilio import FakeTwilio

    server = FakeTwilio().start()
    yield server
    server.stop()


@pytest.fixture
def policy_file(tmp_path: Path) -> Path:
    """A two-step policy with short waits: the care manager or primary, then the backup."""
    path = tmp_path / "escalation.toml"
    path.write_text(
        'repeat = 0\n'
        '[[steps]]\ntargets = ["continuity"]\nchannels = ["sms"]\nwait_seconds = 120\n'
        '[[steps]]\ntargets = ["backup"]\nchannels = ["sms"]\nwait_seconds = 120\n'
        '[[steps]]\ntargets = ["role:manager"]\nchannels = ["sms", "call"]\nwait_seconds = 300\n'
    )
    return path


@pytest.fixture
def settings_for(database_url, keys, twilio_api, tmp_path, policy_file):
    """The settings mapping of a hub wired to this test's database and loopback Twilio."""
    return {
        **keys,
        "HUB_DATABASE_URL": database_url,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_PHONE_NUMBER": PRACTICE_NUMBER,
        "HUB_TWILIO_API_URL": twilio_api.url,
        "HUB_TWILIO_MCS_URL": twilio_api.url,  # chat media, on the same loopback server
        "HUB_PUBLIC_URL": PUBLIC_URL,
        "HUB_INSTANCE_DIR": str(tmp_path / "instance"),
        "HUB_ESCALATION_POLICY": str(policy_file),
        "HUB_SCHEDULER": "off",
    }


@pytest.fixture
def app(settings_for):
    """The real hub app (scheduler off: tests run the tick themselves with a chosen clock)."""
    from app import create_app
    from messages import kick

    hub_app = create_app(settings_for)
    hub_app.config["TESTING"] = True
    yield hub_app
    kick.drain()
    hub_app.extensions["hub"].engine.dispose()


@pytest.fixture
def rt(app):
    """The hub's runtime (settings, sessions, policy, transport)."""
    return app.extensions["hub"]


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class Twilio:
    """Sends webhooks to the hub exactly as Twilio does (form-encoded, signed) and lets the
    background work each one starts finish, so a story reads step by step."""

    def __init__(self, client, token: str = AUTH_TOKEN) -> None:
        self.client = client
        self.token = token

    def post(self, path: str, params: dict[str, str], signature: str | None = None):
        from twilio.request_validator import RequestValidator

        from messages import kick

        if signature is None:
            signature = RequestValidator(self.token).compute_signature(PUBLIC_URL + path, params)
        response = self.client.post(path, data=params, headers={"X-Twilio-Signature": signature})
        kick.drain()  # the routing and sends the webhook started in the background are done
        return response

    def sms(self, sender: str, body: str, sid: str | None = None, **extra: str):
        params = {"MessageSid": sid or "SM" + uuid.uuid4().hex, "AccountSid": ACCOUNT_SID,
                  "From": sender, "To": PRACTICE_NUMBER, "Body": body, "NumMedia": "0", **extra}
        return self.post("/twilio/sms", params)

    def status(self, sid: str, status: str, error_code: int | None = None):
        params = {"MessageSid": sid, "AccountSid": ACCOUNT_SID, "MessageStatus": status}
        if error_code is not None:
            params["ErrorCode"] = str(error_code)
        return self.post("/twilio/status", params)


@pytest.fixture
def practice(rt):
    """The small practice of tests/practice.py: Ben on primary call, Maya backup."""
    from tests.practice import seed

    with rt.sessions() as session:
        return seed(session)


@pytest.fixture
def maya(rt, practice, client):
    """Maya, the practice manager, signed in with her second factor (Ben has a password)."""
    import pyotp

    from hub.models import Staff
    from hub.staff_accounts import enroll_totp, set_password
    from tests.staff_login import sign_in

    with rt.session() as session:
        for person in (practice.maya, practice.ben, practice.nora):
            set_password(session.get(Staff, person.id), "pw-123456-long")
        secret = pyotp.parse_uri(enroll_totp(session.get(Staff, practice.maya.id), "Care line")
                                 ).secret
    assert sign_in(client, "maya@clinic.test", "pw-123456-long",
                   totp=secret).status_code == 302
    return practice


@pytest.fixture
def staff_only(rt):
    """The practice of tests/practice.py with its shifts taken away: each story sets its own."""
    from sqlalchemy import select

    from hub.models import Shift
    from tests.practice import seed

    with rt.sessions() as session:
        practice = seed(session)
        for shift in session.scalars(select(Shift)):
            session.delete(shift)
        session.commit()
    return practice


@pytest.fixture
def twilio(client) -> Twilio:
    return Twilio(client)


@pytest.fixture
def phone(twilio):
    """A phone calling the practice line: ``phone(WALTER).call()`` (see tests/caller.py)."""
    from tests.caller import Caller

    return lambda number: Caller(twilio, number)
