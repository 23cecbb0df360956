"""A manager exports the log, an auditor verifies its chain, an admin rotates the keys."""

from __future__ import annotations

import csv
import io
import json

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from app import create_app
from hub.cli import cli
from messages import kick
from tests.practice import BEN, WALTER, seed


@pytest.fixture
def night(rt, twilio, twilio_api):
    """A night on the line: Walter texts, Ben is paged and acknowledges."""
    with rt.sessions() as session:
        seed(session)
    twilio.sms(WALTER, "my ankles are swollen again")
    twilio_api.wait_for(1)
    twilio.sms(BEN, "ACK")
    kick.drain()  # the page's "sent" record is written by the background sender


def hub(app, *args: str):
    return app.test_cli_runner().invoke(cli, list(args), catch_exceptions=False)


def test_manager_exports_the_night_as_csv_and_the_export_is_audited(app, night):
    result = hub(app, "export-log", "--since", "2020-01-01", "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    events = [r["event"] for r in rows]
    assert events[:3] == ["contact.received", "contact.triaged", "escalation.paged"]
    assert "contact.acknowledged" in events and "outbound.sent" in events
    received = json.loads(rows[0]["detail"])
    assert received["body"] == "my ankles are swollen again" and received["match"] == "patient"
    audit = json.loads(hub(app, "export-log", "--format", "json").output)
    assert audit[-1]["event"] == "log.exported" and audit[-1]["detail"]["format"] == "csv"


def test_export_rejects_a_date_that_is_not_one(app):
    result = app.test_cli_runner().invoke(cli, ["export-log", "--since", "last tuesday"])
    assert result.exit_code == 2 and "--since" in result.output


@pytest.mark.parametrize("since, until", [("2026-12-02", "2026-12-01"),
                                           ("2026-12-01T10:00", "2026-12-01T10:00")])
def test_an_export_whose_since_is_not_before_its_until_is_refused_not_left_empty(
        app, since, until):
    result = app.test_cli_runner().invoke(cli, ["export-log", "--since", since,
                                                "--until", until])
    assert result.exit_code == 2, result.output
    [error] = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert "'--until'" in error and "must be after --since" in error
    assert "seq,at,event" not in result.output  # no header for an export that holds nothing


def test_the_log_stores_no_clear_text(rt, night):
    with rt.sessions() as session:
        raw = " ".join(str(v) for row in session.execute(text(
            "SELECT l.detail, c.body, c.from_number FROM log_entries l "
            "JOIN contacts c ON c.id = l.contact_id")) for v in row)
    assert "ankles" not in raw and WALTER not in raw and "2025550142" not in raw


def test_verify_log_passes_then_names_the_entry_an_intruder_altered(app, rt, night):
    result = hub(app, "verify-log")
    assert result.exit_code == 0 and "intact" in result.output
    with rt.sessions() as session:
        session.execute(text("UPDATE log_entries SET actor = 'staff:99' WHERE seq = 3"))
        session.commit()
    result = app.test_cli_runner().invoke(cli, ["verify-log"])
    assert result.exit_code == 1
    assert "entry 3" in result.output


def test_rotate_keys_lets_the_old_key_retire_and_the_chain_still_verifies(
        app, settings_for, night):
    old_key = settings_for["HUB_ENCRYPTION_KEYS"]
    new_key = Fernet.generate_key().decode()
    both = create_app({**settings_for, "HUB_ENCRYPTION_KEYS": f"{new_key},{old_key}"})
    result = hub(both, "rotate-keys")
    assert result.exit_code == 0 and "re-encrypted" in result.output
    both.extensions["hub"].engine.dispose()

    only_new = create_app({**settings_for, "HUB_ENCRYPTION_KEYS": new_key})
    assert hub(only_new, "verify-log").exit_code == 0
    exported = hub(only_new, "export-log", "--format", "json").output
    assert "my ankles are swollen again" in exported
    only_new.extensions["hub"].engine.dispose()
