"""The escalation policy: ordered steps of targets, channels and waits, read from TOML."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

TARGET_KINDS = ("continuity", "care_manager", "care_team", "physician", "primary", "backup")
TARGET_PREFIXES = ("role:", "schedule:", "person:")
CHANNELS = ("sms", "call")


class PolicyError(ValueError):
    """The policy file is unusable; the message names the file, step and field."""


@dataclass(frozen=True)
class Step:
    """One escalation step: page every target on every channel, then wait for an ACK."""

    targets: tuple[str, ...]
    channels: tuple[str, ...]
    wait: timedelta


@dataclass(frozen=True)
class Policy:
    """Steps in order; after the last one the list runs ``repeat`` more times.

    ``urgent`` is the policy for urgent contacts (the file's ``[urgent]`` table); without one,
    urgent contacts follow these steps with a call added to every step.
    """

    steps: tuple[Step, ...]
    repeat: int = 0
    urgent: Policy | None = None
    # After an ACK, the contact must be resolved within this, or escalation resumes.
    callback: timedelta | None = None

    def for_urgency(self, urgency: str) -> Policy:
        if urgency != "urgent":
            return self
        if self.urgent is not None:
            return self.urgent
        return Policy(tuple(Step(s.targets, tuple(dict.fromkeys((*s.channels, "call"))), s.wait)
                            for s in self.steps), self.repeat, callback=self.callback)

    def step(self, number: int) -> Step | None:
        """Step ``number`` (0-based, counting repeats), or None when escalation is exhausted."""
        if number < 0 or number >= len(self.steps) * (self.repeat + 1):
            return None
        return self.steps[number % len(self.steps)]


def _target(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise PolicyError(f"{where}: a target must be a string")
    if value in TARGET_KINDS:
        return value
    prefix = next((p for p in TARGET_PREFIXES if value.startswith(p)), None)
    if prefix is not None and value[len(prefix):].strip() == value[len(prefix):] != "":
        if prefix != "person:" or "@" in value:
            return value
        raise PolicyError(f"{where}: {value!r} must name an e-mail, like person:nora@clinic.org")
    raise PolicyError(f"{where}: unknown target {value!r} ({', '.join(TARGET_KINDS)}, "
                      "role:NAME, schedule:NAME, person:EMAIL)")


def _step(raw: dict[str, object], where: str) -> Step:
    targets = raw.get("targets")
    if not isinstance(targets, list) or not targets:
        raise PolicyError(f"{where}: 'targets' must be a non-empty list")
    channels = raw.get("channels", ["sms"])
    if not isinstance(channels, list) or not channels or any(c not in CHANNELS for c in channels):
        raise PolicyError(f"{where}: 'channels' must list some of {', '.join(CHANNELS)}")
    seconds = raw.get("wait_seconds")
    minutes = raw.get("wait_minutes")
    if (seconds is None) == (minutes is None):
        raise PolicyError(f"{where}: give exactly one of wait_seconds or wait_minutes")
    amount = seconds if seconds is not None else minutes
    if not isinstance(amount, int | float) or isinstance(amount, bool) or amount <= 0:
        raise PolicyError(f"{where}: the wait must be a positive number")
    wait = timedelta(seconds=amount) if seconds is not None else timedelta(minutes=amount)
    unknown = set(raw) - {"targets", "channels", "wait_seconds", "wait_minutes"}
    if unknown:
        raise PolicyError(f"{where}: unknown field {sorted(unknown)[0]!r}")
    return Step(
        targets=tuple(_target(t, where) for t in targets),
        channels=tuple(dict.fromkeys(channels)),
        wait=wait,
    )


def parse_policy(text: str, source: str = "policy") -> Policy:
    """Parse policy TOML; raise PolicyError naming the first problem."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{source}: not valid TOML: {exc}") from None
    urgent = raw.pop("urgent", None)
    if urgent is not None and not isinstance(urgent, dict):
        raise PolicyError(f"{source}: [urgent] must be a table with its own [[urgent.steps]]")
    policy = _policy(raw, source)
    if urgent is None:
        return policy
    return Policy(policy.steps, policy.repeat, _policy(urgent, f"{source}: urgent"),
                  policy.callback)


def _policy(raw: dict[str, object], source: str) -> Policy:
    steps = raw.get("steps")
    if not isinstance(steps, list) or not steps:
        raise PolicyError(f"{source}: needs at least one [[steps]] table")
    repeat = raw.get("repeat", 0)
    if not isinstance(repeat, int) or isinstance(repeat, bool) or not 0 <= repeat <= 20:
        raise PolicyError(f"{source}: 'repeat' must be a whole number from 0 to 20")
    return Policy(
        steps=tuple(_step(s, f"{source}: step {i}") for i, s in enumerate(steps, start=1)),
        repeat=repeat,
        callback=_callback(raw, source),
    )


def _callback(raw: dict[str, object], source: str) -> timedelta | None:
    seconds, minutes = raw.get("callback_seconds"), raw.get("callback_minutes")
    if seconds is None and minutes is None:
        return None
    if seconds is not None and minutes is not None:
        raise PolicyError(f"{source}: give callback_seconds or callback_minutes, not both")
    amount = seconds if seconds is not None else minutes
    if not isinstance(amount, int | float) or isinstance(amount, bool) or amount <= 0:
        raise PolicyError(f"{source}: the callback deadline must be a positive number")
    return timedelta(seconds=amount) if seconds is not None else timedelta(minutes=amount)


def load_policy(path: Path) -> Policy:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyError(f"{path}: cannot read: {exc.strerror}") from None
    return parse_policy(text, str(path))
