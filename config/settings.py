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
from datetime import time
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from cryptography.fernet import Fernet
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from config.checks import (
    Network,
    SettingError,
    e164,
    fernet_keys,
    networks,
    per_second,
    quiet_hours,
    rate_limits,
    refuse_unsafe,
    syslog_address,
    url,
)
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
    "HUB_TRUSTED_PROXIES",
    "HUB_LOG_LEVEL",
    "HUB_LOG_CHECKPOINT_DIR",
    "HUB_LOG_CHECKPOINT_MINUTES",
    "HUB_LOG_CHECKPOINT_SYSLOG",
    "HUB_METRICS_ALLOW",
    "HUB_METRICS_TOKEN",
    "HUB_SESSION_IDLE_MINUTES",
    "HUB_LOGIN_LIMIT",
    "HUB_LIMIT_STORAGE",
    "HUB_PORTAL_CODE_LIMIT",
    "HUB_ATTACHMENT_MAX_MB",
    "HUB_TWILIO_DELETE_MEDIA",
    "HUB_CONVERSATIONS_IDENTITY",
    "HUB_TWILIO_MCS_URL",
    "HUB_QUIET_HOURS",
    "HUB_OUTBOUND_PER_SECOND",
)


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
    spool_dir: Path = Path("instance") / "spool"  # webhooks kept while the database is down
    spool_max_bytes: int = 64 * 2**20
    # Reverse proxies whose X-Forwarded-* headers are believed (addresses or networks).
    trusted_proxies: tuple[Network, ...] = ()
    log_level: str = "INFO"  # the hub's own lines on stderr (journald, gunicorn's error log)
    # Where the log's head is checkpointed, out of the database's reach (hub.log_anchor).
    log_checkpoint_dir: Path = Path("instance") / "log-checkpoints"
    log_checkpoint_minutes: int = 5
    log_checkpoint_syslog: str | None = None  # a socket path or host:port, when also sent there
    # Who may scrape /metrics: these networks, or whoever shows the bearer token.
    metrics_allow: tuple[Network, ...] = field(
        default_factory=lambda: networks("HUB_METRICS_ALLOW", "127.0.0.0/8,::1"))
    metrics_token: str | None = None
    session_idle_minutes: float = 15.0  # staff sessions end after this much inactivity
    login_limit: str = "10 per minute;50 per hour"  # failed sign-ins, per address and e-mail
    portal_code_limit: str = "5 per 15 minutes;20 per day"  # portal codes, per number/address
    limit_storage: str = "database"  # where login failures are counted: database or a URI
    attachment_max_bytes: int = 5 * 2**20  # the largest photo or file kept (Twilio's MMS limit)
    twilio_delete_media: bool = True  # delete an MMS's media from Twilio once stored
    conversations_identity: str = "care-team"  # Author of the hub's Conversations messages
    twilio_mcs_url: str = "https://mcs.us1.twilio.com"  # where chat media are fetched from
    # Outreach and reminders wait out these local hours (patient's zone); None: no quiet hours.
    quiet_hours: tuple[time, time] | None = (time(21), time(8))
    outbound_per_second: float = 1.0  # outreach sends per second and channel (a long code: 1)

    @property
    def local_mode(self) -> bool:
        """True when no Twilio account is configured: outbound goes to the local outbox."""
        return self.outbound == "outbox"

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
    public_url = url("HUB_PUBLIC_URL", raw.get("HUB_PUBLIC_URL", DEFAULT_PUBLIC_URL))
    # Before any key is generated: a refused shape leaves no files behind.
    refuse_unsafe(raw, parsed_db.get_backend_name(), parsed_db.database, public_url,
                   raw.get("TWILIO_AUTH_TOKEN"))

    if "HUB_ENCRYPTION_KEYS" in raw:
        keys = fernet_keys(raw["HUB_ENCRYPTION_KEYS"])
    else:
        made = _secret_file(instance, "encryption.key", Fernet.generate_key().decode(), notes,
                            files, "HUB_ENCRYPTION_KEYS")
        keys = fernet_keys(made)

    index_key = raw.get("HUB_INDEX_KEY") or _secret_file(
        instance, "index.key", secrets.token_urlsafe(32), notes, files, "HUB_INDEX_KEY"
    )
    if len(index_key) < 16:
        raise SettingError("HUB_INDEX_KEY: too short (at least 16 characters)")
    secret_key = raw.get("HUB_SECRET_KEY") or _secret_file(
        instance, "secret.key", secrets.token_urlsafe(32), notes, files, "HUB_SECRET_KEY"
    )

    api_url = url("HUB_TWILIO_API_URL", raw.get("HUB_TWILIO_API_URL", "https://api.twilio.com"))

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

    practice_number = e164(
        "TWILIO_PHONE_NUMBER", raw.get("TWILIO_PHONE_NUMBER", DEMO_PRACTICE_NUMBER)
    )
    fallback = raw.get("HUB_FALLBACK_NUMBER")
    fallback_number = e164("HUB_FALLBACK_NUMBER", fallback) if fallback else None

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

    spool_mb = raw.get("HUB_SPOOL_MAX_MB", "64")  # 27,000 of the longest texts
    if not spool_mb.isdigit() or not 1 <= int(spool_mb) <= 100_000:
        raise SettingError("HUB_SPOOL_MAX_MB: give a whole number of megabytes, 1 to 100000")
    trusted_proxies = networks("HUB_TRUSTED_PROXIES", raw.get("HUB_TRUSTED_PROXIES", ""))
    log_level = raw.get("HUB_LOG_LEVEL", "INFO").upper()
    if log_level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise SettingError("HUB_LOG_LEVEL: must be DEBUG, INFO, WARNING or ERROR")
    checkpoint_dir = Path(raw.get("HUB_LOG_CHECKPOINT_DIR") or instance / "log-checkpoints")
    checkpoint_dir = checkpoint_dir.expanduser().resolve()
    if checkpoint_dir.exists() and not checkpoint_dir.is_dir():
        raise SettingError("HUB_LOG_CHECKPOINT_DIR: not a folder")
    minutes = raw.get("HUB_LOG_CHECKPOINT_MINUTES", "5")
    if not minutes.isdigit() or not 1 <= int(minutes) <= 1440:
        raise SettingError("HUB_LOG_CHECKPOINT_MINUTES: a whole number of minutes, 1 to 1440")
    syslog = raw.get("HUB_LOG_CHECKPOINT_SYSLOG") or None
    if syslog is not None and not syslog_address(syslog):
        raise SettingError("HUB_LOG_CHECKPOINT_SYSLOG: a socket path (/dev/log) or host:port")
    metrics_allow = networks("HUB_METRICS_ALLOW",
                              raw.get("HUB_METRICS_ALLOW", "127.0.0.0/8,::1"))
    metrics_token = raw.get("HUB_METRICS_TOKEN")
    if metrics_token is not None and len(metrics_token) < 16:
        raise SettingError("HUB_METRICS_TOKEN: too short (at least 16 characters)")
    idle = raw.get("HUB_SESSION_IDLE_MINUTES", "15")
    try:
        idle_minutes = float(idle)
    except ValueError:
        idle_minutes = -1.0
    if not 0 < idle_minutes <= 24 * 60:
        raise SettingError("HUB_SESSION_IDLE_MINUTES: give minutes, more than 0 and at most 1440")

    login_limit = raw.get("HUB_LOGIN_LIMIT", "10 per minute;50 per hour")
    if not rate_limits(login_limit):
        raise SettingError("HUB_LOGIN_LIMIT: not a rate limit such as '10 per minute;50 per hour'")
    portal_code_limit = raw.get("HUB_PORTAL_CODE_LIMIT", "5 per 15 minutes;20 per day")
    if not rate_limits(portal_code_limit):
        raise SettingError("HUB_PORTAL_CODE_LIMIT: not a rate limit such as "
                           "'5 per 15 minutes;20 per day'")
    limit_storage = raw.get("HUB_LIMIT_STORAGE", "database")
    if limit_storage != "database" and not limit_storage.startswith(
            ("redis://", "rediss://", "redis+sentinel://", "memcached://")):
        raise SettingError("HUB_LIMIT_STORAGE: 'database', or a redis:// or memcached:// URI "
                           "(every worker must see the same counts)")

    attachment_mb = raw.get("HUB_ATTACHMENT_MAX_MB", "5")
    if not attachment_mb.isdigit() or not 1 <= int(attachment_mb) <= 100:
        raise SettingError("HUB_ATTACHMENT_MAX_MB: give a whole number of megabytes, 1 to 100")
    delete_media = raw.get("HUB_TWILIO_DELETE_MEDIA", "on").lower()
    if delete_media not in ("on", "off"):
        raise SettingError("HUB_TWILIO_DELETE_MEDIA: must be 'on' or 'off'")
    identity = raw.get("HUB_CONVERSATIONS_IDENTITY", "care-team").strip()
    if not 1 <= len(identity) <= 100:
        raise SettingError("HUB_CONVERSATIONS_IDENTITY: give the identity, 1 to 100 characters")
    mcs_url = url("HUB_TWILIO_MCS_URL",
                  raw.get("HUB_TWILIO_MCS_URL", "https://mcs.us1.twilio.com"))

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
        spool_dir=Path(raw.get("HUB_SPOOL_DIR") or instance / "spool").expanduser().resolve(),
        spool_max_bytes=int(spool_mb) * 2**20,
        trusted_proxies=trusted_proxies,
        log_level=log_level,
        log_checkpoint_dir=checkpoint_dir,
        log_checkpoint_minutes=int(minutes),
        log_checkpoint_syslog=syslog,
        metrics_allow=metrics_allow,
        metrics_token=metrics_token,
        session_idle_minutes=idle_minutes,
        login_limit=login_limit,
        portal_code_limit=portal_code_limit,
        limit_storage=limit_storage,
        attachment_max_bytes=int(attachment_mb) * 2**20,
        twilio_delete_media=delete_media == "on",
        conversations_identity=identity,
        twilio_mcs_url=mcs_url,
        quiet_hours=quiet_hours(raw.get("HUB_QUIET_HOURS", "21:00-08:00")),
        outbound_per_second=per_second(raw.get("HUB_OUTBOUND_PER_SECOND", "1")),
    )
