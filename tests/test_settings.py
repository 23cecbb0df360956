"""A bad setting stops start-up with one line naming it; good defaults need no setting at all."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from config.settings import SettingError, load_settings
from tests.conftest import HUB_COMMAND

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name, value", [
    ("HUB_DATABASE_URL", "not a url"),
    ("HUB_DATABASE_URL", "mysql://root@localhost/hub"),
    ("HUB_ENCRYPTION_KEYS", "not-a-fernet-key"),
    ("HUB_INDEX_KEY", "abc123"),
    ("HUB_PUBLIC_URL", "ftp://hub"),
    ("HUB_TWILIO_API_URL", "api.twilio.com"),
    ("TWILIO_ACCOUNT_SID", "XX123"),
    ("TWILIO_PHONE_NUMBER", "call me maybe"),
    ("HUB_FALLBACK_NUMBER", "+1"),
    ("HUB_TIMEZONE", "Mars/Olympus_Mons"),
    ("HUB_ESCALATION_POLICY", "/nonexistent/policy.toml"),
    ("HUB_SCHEDULER", "sometimes"),
    ("HUB_SESSION_IDLE_MINUTES", "a quarter hour"),
    ("HUB_SESSION_IDLE_MINUTES", "0"),
    ("HUB_LOGIN_LIMIT", "lots"),
    ("HUB_LIMIT_STORAGE", "memory://"),
])
def test_a_malformed_setting_is_named_in_one_line(tmp_path, name, value):
    with pytest.raises(SettingError) as caught:
        load_settings({"HUB_INSTANCE_DIR": str(tmp_path), name: value})
    message = str(caught.value)
    assert message.startswith(name) and "\n" not in message
    if "KEY" in name:
        assert value not in message


def test_a_key_that_is_not_fernet_names_its_position_not_its_value(tmp_path):
    from cryptography.fernet import Fernet

    good = Fernet.generate_key().decode()
    with pytest.raises(SettingError, match="key 2"):
        load_settings({"HUB_INSTANCE_DIR": str(tmp_path),
                       "HUB_ENCRYPTION_KEYS": f"{good},oops"})


def test_first_start_generates_keys_once_readable_only_by_the_owner(tmp_path):
    first = load_settings({"HUB_INSTANCE_DIR": str(tmp_path)})
    second = load_settings({"HUB_INSTANCE_DIR": str(tmp_path)})
    assert first.encryption_keys == second.encryption_keys and first.local_mode
    mode = stat.S_IMODE(os.stat(tmp_path / "encryption.key").st_mode)
    assert mode == 0o600
    assert first.database_url == f"sqlite:///{tmp_path / 'hub.db'}"


def test_a_bad_policy_file_stops_start_up_naming_the_step(tmp_path):
    policy = tmp_path / "policy.toml"
    policy.write_text('[[steps]]\ntargets = ["the moon"]\nwait_minutes = 5\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HUB_", "TWILIO_"))}
    env.update(HUB_INSTANCE_DIR=str(tmp_path), HUB_ESCALATION_POLICY=str(policy))
    result = subprocess.run([HUB_COMMAND, "verify-log"], cwd=tmp_path,
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"error: HUB_ESCALATION_POLICY: {policy}: step 1: unknown target 'the moon' "
        "(continuity, care_manager, care_team, physician, primary, backup, role:NAME, "
        "schedule:NAME, person:EMAIL)"
    ]
