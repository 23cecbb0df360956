"""An admin starts a command with the wrong key, or none: one line names the setting and what
to check, for every command, and ``verify-log`` never calls a key problem tampering."""

from __future__ import annotations

import subprocess

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from tests.conftest import HUB_COMMAND, user_env
from tests.practice import BEN, WALTER
from tests.test_staff_web import paged as paged_fixture
from tests.test_staff_web import sign_in

paged = paged_fixture  # Walter has texted; Ben got the page's link

COMMANDS = (["care-plan", "show", "--patient", "{walter}"], ["export-log"], ["oncall"],
            ["ccm-minutes"], ["rotate-keys"], ["verify-log"])


@pytest.fixture
def night(rt, practice, twilio, twilio_api):
    """A night on the line: Walter texts, Ben is paged and acknowledges."""
    from messages import kick

    twilio.sms(WALTER, "my ankles are swollen again")
    twilio_api.wait_for(1)
    twilio.sms(BEN, "ACK")
    kick.drain()
    return practice


def run_hub(tmp_path, settings, *args: str, **changed: str | None):
    """The real console script with the test's settings, ``changed`` (None: left unset)."""
    given = {**settings, **changed}
    env = user_env(tmp_path, **{k: v for k, v in given.items() if v is not None})
    return subprocess.run([HUB_COMMAND, *args], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=120)


def one_error_line(result, nothing_printed: bool = True) -> str:
    assert result.returncode != 0 and (result.stdout == "" or not nothing_printed)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Walter" not in lines[0] and "ankles" not in lines[0] and "2025550142" not in lines[0]
    return lines[0]


def test_a_wrong_encryption_key_is_one_line_naming_the_setting(tmp_path, settings_for, night):
    wrong = Fernet.generate_key().decode()
    for command in COMMANDS:
        args = [part.format(walter=night.walter.id) for part in command]
        result = run_hub(tmp_path, settings_for, *args, HUB_ENCRYPTION_KEYS=wrong)
        line = one_error_line(result)
        assert line.startswith("error: HUB_ENCRYPTION_KEYS: "), (command, line)
        assert "written with" in line and wrong not in line
        assert result.returncode == 2


def test_a_missing_encryption_key_says_the_generated_one_is_not_the_datas(
        tmp_path, settings_for, night):
    instance = tmp_path / "fresh-instance"
    result = run_hub(tmp_path, settings_for, "export-log", HUB_ENCRYPTION_KEYS=None,
                     HUB_INSTANCE_DIR=str(instance))
    line = one_error_line(result)
    if settings_for["HUB_DATABASE_URL"].startswith("postgresql"):
        # A shared database never runs on a generated key: refused before one is made.
        assert line.startswith("error: HUB_ENCRYPTION_KEYS: required with a postgresql")
        assert not instance.exists()
    else:
        assert line.startswith("error: HUB_ENCRYPTION_KEYS: not set, ")
        assert str(instance / "encryption.key") in line


def test_a_wrong_index_key_is_named_and_verify_log_does_not_call_it_tampering(
        tmp_path, settings_for, night):
    wrong = "another-index-key-0123456789"
    for command in (["verify-log"], ["oncall"], ["export-log"]):
        line = one_error_line(run_hub(tmp_path, settings_for, *command, HUB_INDEX_KEY=wrong))
        assert line.startswith("error: HUB_INDEX_KEY: "), line
        assert "BROKEN" not in line and wrong not in line
    intact = run_hub(tmp_path, settings_for, "verify-log")
    assert intact.returncode == 0 and "intact" in intact.stdout


def test_a_database_from_before_the_key_check_gets_it_on_first_use(
        tmp_path, settings_for, night, rt):
    with rt.engine.begin() as conn:  # as a database made before the check values were kept
        conn.execute(text("DELETE FROM key_checks"))

    wrong_index = run_hub(tmp_path, settings_for, "verify-log",
                          HUB_INDEX_KEY="another-index-key-0123456789")
    assert one_error_line(wrong_index).startswith("error: HUB_INDEX_KEY: ")
    wrong_keys = run_hub(tmp_path, settings_for, "verify-log",
                         HUB_ENCRYPTION_KEYS=Fernet.generate_key().decode())
    assert one_error_line(wrong_keys).startswith("error: HUB_ENCRYPTION_KEYS: ")
    with rt.engine.connect() as conn:  # neither wrote its own keys' values
        assert conn.scalar(text("SELECT count(*) FROM key_checks")) == 0

    right = run_hub(tmp_path, settings_for, "verify-log")
    assert right.returncode == 0 and "intact" in right.stdout
    with rt.engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM key_checks")) == 1
    again = run_hub(tmp_path, settings_for, "oncall",
                    HUB_INDEX_KEY="another-index-key-0123456789")
    assert one_error_line(again).startswith("error: HUB_INDEX_KEY: ")


def _written_under_a_lost_key(rt, table: str, column: str, where: str) -> None:
    lost = Fernet(Fernet.generate_key()).encrypt(b'{"x": 1}').decode()
    with rt.engine.begin() as conn:
        conn.execute(text(f"UPDATE {table} SET {column} = :t WHERE {where}"), {"t": lost})


def test_rotate_keys_names_the_field_no_key_decrypts(tmp_path, settings_for, night, rt):
    _written_under_a_lost_key(rt, "contacts", "body", "id = (SELECT min(id) FROM contacts)")
    new_key = Fernet.generate_key().decode()
    result = run_hub(tmp_path, settings_for, "rotate-keys",
                     HUB_ENCRYPTION_KEYS=f"{new_key},{settings_for['HUB_ENCRYPTION_KEYS']}")
    line = one_error_line(result)
    assert line.startswith("error: HUB_ENCRYPTION_KEYS: contacts.body of row ")
    assert "InvalidToken" not in line


def test_an_entry_no_key_decrypts_is_one_line_in_the_export_and_a_break_in_verify_log(
        tmp_path, settings_for, night, rt):
    _written_under_a_lost_key(rt, "log_entries", "detail", "seq = 2")
    exported = run_hub(tmp_path, settings_for, "export-log")
    # (the rows before it are on stdout already: an export streams)
    assert one_error_line(exported, nothing_printed=False).startswith(
        "error: HUB_ENCRYPTION_KEYS: a stored field ")
    verified = run_hub(tmp_path, settings_for, "verify-log")
    assert verified.returncode == 1
    assert "entry 2: detail does not decrypt" in verified.stderr
    assert "HUB_ENCRYPTION_KEYS" in verified.stderr


def test_a_staff_page_with_a_field_no_key_decrypts_logs_the_setting(rt, client, paged, caplog):
    _written_under_a_lost_key(rt, "contacts", "body", "id = (SELECT min(id) FROM contacts)")
    sign_in(client)
    answer = client.get(paged)
    assert answer.status_code == 500 and answer.get_data(as_text=True) == (
        "500 Internal Server Error\n")
    logged = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert len(logged) == 1 and logged[0].startswith("HUB_ENCRYPTION_KEYS: a stored field read on")
    assert "sugar" not in logged[0] and "Walter" not in logged[0]


def test_before_the_key_check_stored_phone_numbers_tell_a_wrong_index_key(rt, practice):
    from hub import key_check
    from hub.crypto import FieldCipher

    with rt.engine.begin() as conn:  # a practice imported, nothing logged yet, no check row
        conn.execute(text("DELETE FROM key_checks"))
        assert conn.scalar(text("SELECT count(*) FROM log_entries")) == 0
    other = FieldCipher(rt.settings.encryption_keys, b"another-index-key-0123456789")
    with pytest.raises(key_check.WrongKeys) as caught, rt.engine.begin() as conn:
        key_check.confirm(conn, other)
    assert caught.value.settings == ("HUB_INDEX_KEY",)
    with rt.engine.begin() as conn:
        key_check.confirm(conn, rt.cipher)
        assert conn.scalar(text("SELECT count(*) FROM key_checks")) == 1
