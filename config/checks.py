"""The checks a setting's value must pass, each failing with :class:`SettingError` whose
message is one line naming the setting (never a secret's value), and the refusal of the local
conveniences (generated keys, the simulator's token, plain http) beyond this machine."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from datetime import time
from urllib.parse import urlparse

import phonenumbers
from cryptography.fernet import Fernet
from limits import parse_many

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class SettingError(ValueError):
    """A setting is present but unusable; the message names it in one line."""


def url(name: str, value: str) -> str:
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise SettingError(f"{name}: not an http(s) URL")
    return value.rstrip("/")


def e164(name: str, value: str) -> str:
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        raise SettingError(f"{name}: not a phone number in E.164 form (+15551234567)") from None
    if not phonenumbers.is_possible_number(number):
        raise SettingError(f"{name}: not a possible phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def fernet_keys(value: str) -> tuple[str, ...]:
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


def networks(name: str, value: str) -> tuple[Network, ...]:
    """Addresses and CIDRs, comma-separated (10.0.0.5, 10.0.0.0/24, ::1); ``none`` for none."""
    if value.strip().lower() == "none":
        return ()
    networks = []
    for part in (p.strip() for p in value.split(",")):
        if not part:
            continue
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise SettingError(f"{name}: {part!r} is not an address or CIDR "
                               "(127.0.0.1, 10.0.0.0/8, ::1, or none)") from None
    return tuple(networks)


def is_loopback_url(url: str) -> bool:
    """True when the URL's host is this machine (127.0.0.0/8, ::1, localhost)."""
    host = urlparse(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def refuse_unsafe(raw: Mapping[str, str], backend: str, database: str | None,
                   public_url: str, token: str | None) -> None:
    """Refuse the local conveniences (generated keys, the published simulator token, plain
    http) wherever they would reach beyond one person's machine."""
    local_url = is_loopback_url(public_url)
    if token is None and not local_url:
        raise SettingError("TWILIO_AUTH_TOKEN: required when HUB_PUBLIC_URL is not this machine "
                           "(local mode signs webhooks with a published token)")
    if public_url.startswith("http://") and not local_url:
        raise SettingError("HUB_PUBLIC_URL: must be https:// when it is not this machine "
                           "(Twilio would send patients' messages in clear)")
    local_file = backend == "sqlite" and database not in (None, "", ":memory:")
    if local_file:
        return
    for name in ("HUB_ENCRYPTION_KEYS", "HUB_INDEX_KEY", "HUB_SECRET_KEY"):
        if name not in raw:
            raise SettingError(f"{name}: required with a {backend} database (keys generated "
                               "into the instance folder are for a local SQLite file only)")
    if token is None:
        raise SettingError(f"TWILIO_AUTH_TOKEN: required with a {backend} database (the local "
                           "simulator's token is published)")


def syslog_address(value: str) -> bool:
    if value.startswith("/"):
        return True
    host, _, port = value.rpartition(":")
    return bool(host) and port.isdigit() and 0 < int(port) < 65536


def rate_limits(value: str) -> bool:
    """True when ``value`` reads as one or more rate limits ("10 per minute;50 per hour")."""
    try:
        return bool(parse_many(value))
    except ValueError:
        return False


def quiet_hours(value: str) -> tuple[time, time] | None:
    """HUB_QUIET_HOURS: "21:00-08:00" (local start and end, the end may be the next day), or
    "off" for none."""
    if value.strip().lower() in ("off", "none", ""):
        return None
    try:
        start, end = (time.fromisoformat(part.strip()) for part in value.split("-"))
    except ValueError:
        raise SettingError("HUB_QUIET_HOURS: give local times as HH:MM-HH:MM (21:00-08:00), "
                           "or off") from None
    if start == end:
        raise SettingError("HUB_QUIET_HOURS: the start and the end are the same time")
    return start, end


def per_second(value: str) -> float:
    """HUB_OUTBOUND_PER_SECOND: messages (and calls) a second, 0.01 to 1000."""
    try:
        rate = float(value)
    except ValueError:
        rate = -1.0
    if not 0.01 <= rate <= 1000:
        raise SettingError("HUB_OUTBOUND_PER_SECOND: give messages a second, 0.01 to 1000 "
                           "(1 for a long code)")
    return rate
