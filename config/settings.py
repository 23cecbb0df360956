"""Load and validate the hub's settings from defaults, an optional TOML file and the environment.

Order (later wins): built-in defaults, the TOML file named by ``HUB_CONFIG_FILE`` (or
``config/hub.toml`` when present), the environment, then an explicit mapping (tests).
A present but malformed setting raises :class:`SettingError` whose message is one line
naming the setting; secrets never appear in that message.
"""

from __future__ import annotations

import os
import secrets
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from cryptography.fernet import Fernet
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from config.instance import find_instance_dir

CONFIG_DIR = Path(__file__).resolve().parent
DEFAULT_POLICY = CONFIG_DIR / "escalation.toml"
DEFAULT_TRIAGE = CONFIG_DIR / "triage.toml"

# The local-mode Twilio credentials: the simulator signs with this token, and outbound
# messages go to the local outbox instead of Twilio.
LOCAL_ACCOUNT_SID = "AC" + "0" * 32
LOCAL_AUTH_TOKEN = "local-simulator-token"
DEMO_PRACTICE_NUMBER = "+15005550006"
# Where python app.py serves, and what a shell without HUB_PUBLIC_URL (hub simulate) posts to.
DEFAULT_PUBLIC_URL = "http://127.0.0.1:5000"
DEFAULT_SPOOL_MAX_MB = 64  # 27,000 of the longest texts: hours of a busy line's outage

NAMES = (
    "HUB_DATABASE_URL",
    "HUB_ENCRYPTION_KEYS",
    "HUB_INDEX_KEY",
    "HUB_SECRET_KEY",
    "HUB_PUBLIC_URL",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "TWILIO_PHONE_NUMBER",
    "HUB_TWILIO_API_URL",
    "HUB_FALLBACK_NUMBER",
    "HUB_INSTANCE_DIR",
    "HUB_ESCALATION_POLICY",
    "HUB_TRIAGE_CONFIG",
    "HUB_TIMEZONE",
    "HUB_SCHEDULER",
    "HUB_ENGINE",
    "HUB_OUTBOUND",
    "HUB_PHONE_REGION",
    "HUB_PRACTICE_NAME",
    "HUB_SPOOL_DIR",
    "HUB_SPOOL_MAX_MB",
)


class SettingError(ValueError):
    """A setting is present but unusable; the message names it in one line."""


@dataclass(frozen=True)
class Settings:
    """The validated settings one process runs with."""

    database_url: str
    encryption_keys: tuple[str, ...]
    index_key: bytes
    secret_key: str
    public_url: str
    twilio_account_sid: str
    twilio_auth_token: str
    practice_number: str
    twilio_api_url: str
    fallback_number: str | None
    instance_dir: Path
    escalation_policy: Path
    triage_config: Path
    timezone: str
    scheduler: bool
    engine: str  # inline: web processes route and page too | separate: `hub scheduler` does
    outbound: str  # "twilio" (REST API) or "outbox" (local capture)
    warnings: tuple[str, ...] = field(default=())
    # The key settings not set, whose key was read from (or generated into) the instance.
    key_files: Mapping[str, Path] = field(default_factory=dict)
    phone_region: str = "US"  # how national-format numbers (FHIR import) are read
    practice_name: str = "Care line"  # how texts to patients name the line (HELP)
    # Where webhooks that cannot reach the database are kept on this host, and how much of it.
    spool_dir: Path | None = None  # None: instance_dir / "spool"
    spool_max_bytes: int = DEFAULT_SPOOL_MAX_MB * 1024 * 1024

    @property
    def local_mode(self) -> bool:
        """True when no Twilio account is configured: outbound goes to the local outbox."""
        return self.outbound == "outbox"

    @property
    def spool_folder(self) -> Path:
        return self.spool_dir or self.instance_dir / "spool"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def _read_toml(path: Path) -> dict[str, str]:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except OSError as exc:
        raise SettingError(f"HUB_CONFIG_FILE: cannot read {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingError(f"HUB_CONFIG_FILE: {path} is not valid TOML: {exc}") from None
    unknown = sorted(set(data) - set(NAMES))
    if unknown:
        raise SettingError(f"HUB_CONFIG_FILE: unknown setting {unknown[0]} in {path}")
    return {k: str(v) for k, v in data.items()}


def _raw_settings(overrides: Mapping[str, object] | None) -> dict[str, str]:
    raw: dict[str, str] = {}
    config_file = os.environ.get("HUB_CONFIG_FILE")
    if config_file:
        raw.update(_read_toml(Path(config_file)))
    elif (CONFIG_DIR / "hub.toml").exists():
        raw.update(_read_toml(CONFIG_DIR / "hub.toml"))
    raw.update({k: v for k, v in os.environ.items() if k in NAMES and v != ""})
    if overrides:
        raw.update({k: str(v) for k, v in overrides.items() if k in NAMES and v is not None})
    return raw


def _secret_file(instance: Path, name: str, make: str, notes: list[str],
                 files: dict[str, Path], setting: str) -> str:
    """Read a generated secret from instance/, creating it (mode 0600) the first time."""
    path = instance / name
    files[setting] = path
    if path.exists():
        return path.read_text().strip()
    instance.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(make + "\n")
    notes.append(f"generated {path} (local default; set the matching HUB_ setting in production)")
    return make


def _url(name: str, value: str) -> str:
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise SettingError(f"{name}: not an http(s) URL")
    return value.rstrip("/")


def _e164(name: str, value: str) -> str:
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        raise SettingError(f"{name}: not a phone number in E.164 form (+15551234567)") from None
    if not phonenumbers.is_possible_number(number):
        raise SettingError(f"{name}: not a possible phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _fernet_keys(value: str) -> tuple[str, ...]:
    keys = tuple(k.strip() for k in value.split(",") if k.strip())
    if not keys:
        raise SettingError("HUB_ENCRYPTION_KEYS: no key given")
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            raise SettingError(
                f"HUB_ENCRYPTION_KEYS: key {position} is not a Fernet key "
                "(32 url-safe base64 bytes)"
            ) from None
    return keys


def load_settings(overrides: Mapping[str, object] | None = None) -> Settings:
    """Return validated settings; raise SettingError naming the first bad one."""
    raw = _raw_settings(overrides)
    notes: list[str] = []
    files: dict[str, Path] = {}
    instance = find_instance_dir(raw)

    database_url = raw.get("HUB_DATABASE_URL", f"sqlite:///{instance / 'hub.db'}")
    try:
        parsed_db = make_url(database_url)
    except ArgumentError:
        raise SettingError("HUB_DATABASE_URL: not an SQLAlchemy database URL") from None
    if parsed_db.get_backend_name() not in ("sqlite", "postgresql"):
        raise SettingError("HUB_DATABASE_URL: only sqlite and postgresql are supported")

    if "HUB_ENCRYPTION_KEYS" in raw:
        keys = _fernet_keys(raw["HUB_ENCRYPTION_KEYS"])
    else:
        made = _secret_file(instance, "encryption.key", Fernet.generate_key().decode(), notes,
                            files, "HUB_ENCRYPTION_KEYS")
        keys = _fernet_keys(made)

    index_key = raw.get("HUB_INDEX_KEY") or _secret_file(
        instance, "index.key", secrets.token_urlsafe(32), notes, files, "HUB_INDEX_KEY"
    )
    if len(index_key) < 16:
        raise SettingError("HUB_INDEX_KEY: too short (at least 16 characters)")
    secret_key = raw.get("HUB_SECRET_KEY") or _secret_file(
        instance, "secret.key", secrets.token_urlsafe(32), notes, files, "HUB_SECRET_KEY"
    )

    public_url = _url("HUB_PUBLIC_URL", raw.get("HUB_PUBLIC_URL", DEFAULT_PUBLIC_URL))
    api_url = _url("HUB_TWILIO_API_URL", raw.get("HUB_TWILIO_API_URL", "https://api.twilio.com"))

    sid = raw.get("TWILIO_ACCOUNT_SID")
    if sid is not None and (not sid.startswith("AC") or len(sid) != 34):
        raise SettingError("TWILIO_ACCOUNT_SID: not an account SID (AC followed by 32 characters)")
    token = raw.get("TWILIO_AUTH_TOKEN")
    if sid and not token:
        raise SettingError("TWILIO_AUTH_TOKEN: required when TWILIO_ACCOUNT_SID is set")
    outbound = raw.get("HUB_OUTBOUND", "twilio" if sid else "outbox")
    if outbound not in ("twilio", "outbox"):
        raise SettingError("HUB_OUTBOUND: must be 'twilio' or 'outbox'")
    if outbound == "twilio" and not sid:
        raise SettingError("HUB_OUTBOUND: 'twilio' needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN")

    practice_number = _e164(
        "TWILIO_PHONE_NUMBER", raw.get("TWILIO_PHONE_NUMBER", DEMO_PRACTICE_NUMBER)
    )
    fallback = raw.get("HUB_FALLBACK_NUMBER")
    fallback_number = _e164("HUB_FALLBACK_NUMBER", fallback) if fallback else None

    policy = Path(raw.get("HUB_ESCALATION_POLICY", str(DEFAULT_POLICY)))
    if not policy.is_file():
        raise SettingError(f"HUB_ESCALATION_POLICY: no such file {policy}")

    triage = Path(raw.get("HUB_TRIAGE_CONFIG", str(DEFAULT_TRIAGE)))
    if not triage.is_file():
        raise SettingError(f"HUB_TRIAGE_CONFIG: no such file {triage}")

    timezone = raw.get("HUB_TIMEZONE", "America/New_York")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingError("HUB_TIMEZONE: not an IANA time zone (America/New_York)") from None

    scheduler = raw.get("HUB_SCHEDULER", "on").lower()
    if scheduler not in ("on", "off"):
        raise SettingError("HUB_SCHEDULER: must be 'on' or 'off'")

    engine = raw.get("HUB_ENGINE", "inline").lower()
    if engine not in ("inline", "separate"):
        raise SettingError("HUB_ENGINE: must be 'inline' or 'separate'")

    phone_region = raw.get("HUB_PHONE_REGION", "US").upper()
    if phone_region not in phonenumbers.SUPPORTED_REGIONS:
        raise SettingError("HUB_PHONE_REGION: not a country code phone numbers know (US, GB, MX)")

    practice_name = " ".join(raw.get("HUB_PRACTICE_NAME", "Care line").split())
    if not 1 <= len(practice_name) <= 60:
        raise SettingError("HUB_PRACTICE_NAME: give the practice's name, 1 to 60 characters")

    spool_dir = Path(raw["HUB_SPOOL_DIR"]).expanduser() if raw.get("HUB_SPOOL_DIR") else None
    spool_mb = raw.get("HUB_SPOOL_MAX_MB", str(DEFAULT_SPOOL_MAX_MB))
    if not spool_mb.isdigit() or not 1 <= int(spool_mb) <= 100_000:
        raise SettingError("HUB_SPOOL_MAX_MB: give a whole number of megabytes, 1 to 100000")

    return Settings(
        database_url=database_url,
        encryption_keys=keys,
        index_key=index_key.encode(),
        secret_key=secret_key,
        public_url=public_url,
        twilio_account_sid=sid or LOCAL_ACCOUNT_SID,
        twilio_auth_token=token or LOCAL_AUTH_TOKEN,
        practice_number=practice_number,
        twilio_api_url=api_url,
        fallback_number=fallback_number,
        instance_dir=instance,
        escalation_policy=policy,
        triage_config=triage,
        timezone=timezone,
        scheduler=scheduler == "on" and engine == "inline",
        engine=engine,
        outbound=outbound,
        warnings=tuple(notes),
        key_files=files,
        phone_region=phone_region,
        practice_name=practice_name,
        spool_dir=spool_dir,
        spool_max_bytes=int(spool_mb) * 1024 * 1024,
    )
