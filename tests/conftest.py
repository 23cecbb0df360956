"""Shared fixtures: a migrated database on SQLite and (when it answers) PostgreSQL, keys, sessions."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from hub import crypto
from hub.db import make_engine, make_session_factory, upgrade
from hub.models import Base

PG_ADMIN_URL = os.environ.get(
    "HUB_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REQUIRE_POSTGRES = os.environ.get("HUB_REQUIRE_POSTGRES") == "1"


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
