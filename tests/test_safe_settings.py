"""Settings that fail safe: the local conveniences (keys generated into the instance folder,
the simulator's published token, plain http, the demo practice and its published passwords)
never reach a real line, and a reverse proxy's headers are believed only from the proxy."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from config.settings import SettingError, load_settings
from hub.cli import cli

POSTGRES = "postgresql+psycopg://hub@db.internal/hub"
KEYS = {"HUB_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "HUB_INDEX_KEY": "an-index-key-of-32-characters-xx", "HUB_SECRET_KEY": "a-secret"}
TWILIO = {"TWILIO_ACCOUNT_SID": "AC" + "2" * 32, "TWILIO_AUTH_TOKEN": "a-real-token",
          "HUB_PUBLIC_URL": "https://care-line.example.org"}


def refused(tmp_path, **settings: str) -> str:
    with pytest.raises(SettingError) as caught:
        load_settings({"HUB_INSTANCE_DIR": str(tmp_path / "instance"), **settings})
    return str(caught.value)


@pytest.mark.parametrize("missing", sorted(KEYS))
def test_an_it_person_pointing_the_hub_at_postgresql_must_give_every_key(tmp_path, missing):
    given = {k: v for k, v in KEYS.items() if k != missing}
    message = refused(tmp_path, HUB_DATABASE_URL=POSTGRES, **given, **TWILIO)
    assert message.startswith(f"{missing}: required with a postgresql database")
    assert "\n" not in message
    assert not (tmp_path / "instance").exists()  # nothing generated on the way to refusing


def test_postgresql_without_a_twilio_token_is_refused_not_run_on_the_published_one(tmp_path):
    message = refused(tmp_path, HUB_DATABASE_URL=POSTGRES, **KEYS)
    assert message.startswith("TWILIO_AUTH_TOKEN: required")


def test_local_mode_answers_only_on_this_machine(tmp_path):
    message = refused(tmp_path, HUB_PUBLIC_URL="https://care-line.example.org")
    assert message.startswith("TWILIO_AUTH_TOKEN: required when HUB_PUBLIC_URL is not this")
    for url in ("http://127.0.0.1:5000", "http://localhost:8080", "http://[::1]:5000"):
        assert load_settings({"HUB_INSTANCE_DIR": str(tmp_path / "instance"),
                              "HUB_PUBLIC_URL": url}).local_mode


def test_a_public_url_in_plain_http_is_refused_outside_this_machine(tmp_path):
    message = refused(tmp_path, **{**TWILIO, "HUB_PUBLIC_URL": "http://care-line.example.org"})
    assert message.startswith("HUB_PUBLIC_URL: must be https://")


def test_a_real_line_on_postgresql_with_its_keys_and_account_starts(tmp_path):
    settings = load_settings({"HUB_INSTANCE_DIR": str(tmp_path), "HUB_DATABASE_URL": POSTGRES,
                              **KEYS, **TWILIO})
    assert not settings.local_mode and not settings.key_files


def test_the_demo_practice_is_never_seeded_on_a_line_with_a_twilio_account(app, rt):
    from hub.models import Staff

    result = app.test_cli_runner().invoke(cli, ["seed-demo"])
    assert result.exit_code == 1
    assert "only in local mode" in result.output
    with rt.sessions() as session:
        assert session.query(Staff).filter(Staff.email.like("%@demo.clinic")).count() == 0


def beliefs_of(app) -> list[tuple[str | None, str]]:
    """What the hub believes of each request it serves: the client's address and scheme."""
    from flask import request

    beliefs: list[tuple[str | None, str]] = []
    app.before_request(lambda: beliefs.append((request.remote_addr, request.scheme)) and None)
    return beliefs


FORWARDED = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}


def test_behind_nginx_the_hub_sees_the_patients_address_and_https(settings_for):
    from app import create_app

    app = create_app({**settings_for, "HUB_TRUSTED_PROXIES": "10.0.0.0/24"})
    beliefs = beliefs_of(app)
    client = app.test_client()
    client.get("/healthz", headers=FORWARDED, environ_base={"REMOTE_ADDR": "10.0.0.5"})
    client.get("/healthz", headers=FORWARDED, environ_base={"REMOTE_ADDR": "198.51.100.9"})
    app.extensions["hub"].engine.dispose()
    assert beliefs == [("203.0.113.7", "https"),  # from the proxy: believed
                       ("198.51.100.9", "http")]  # from anyone else: forged, ignored


def test_without_trusted_proxies_forwarded_headers_are_ignored(app):
    beliefs = beliefs_of(app)
    app.test_client().get("/healthz", headers=FORWARDED, environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert beliefs == [("127.0.0.1", "http")]


def test_a_trusted_proxy_that_is_not_an_address_is_named(tmp_path):
    message = refused(tmp_path, HUB_TRUSTED_PROXIES="10.0.0.0/24, nginx")
    assert message.startswith("HUB_TRUSTED_PROXIES: 'nginx'")
