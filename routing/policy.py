"""The escalation policy: ordered steps of targets, channels and waits, read from TOML."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

from routing.hours import HoursError, OpeningHours, parse_hours

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
    # How long a caller's live call rings this step's people before the next step is dialled.
    ring_seconds: int = 20


@dataclass(frozen=True)
class SmsLimit:
    """At most ``count`` SMS to one person in any ``window`` (GoAlert's default: 5 in 15
    minutes); more pages wait and go out bundled."""

    count: int = 5
    window: timedelta = timedelta(minutes=15)


@dataclass(frozen=True)
class LastResort:
    """When the steps run out and nobody acknowledged: the managers are paged and ``number``
    (HUB_FALLBACK_NUMBER) is called, again every ``every`` until a person acknowledges."""

    every: timedelta = timedelta(minutes=10)
    number: str | None = None


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
    # Routine texts outside these hours wait for the opening (the morning queue).
    hours: OpeningHours | None = None
    sms_limit: SmsLimit = SmsLimit()
    last_resort: LastResort = LastResort()

    def with_fallback_number(self, number: str | None) -> Policy:
        """This policy (and its urgent one) calling ``number`` in the last-resort rounds."""
        urgent = self.urgent.with_fallback_number(number) if self.urgent is not None else None
        return replace(self, urgent=urgent, last_resort=replace(self.last_resort, number=number))

    def held_until(self, urgency: str, channel: str, at: datetime) -> datetime | None:
        """When a contact arriving at ``at`` is paged if it waits for opening hours, or None
        when it is paged now. Only routine texts and portal messages wait: urgent contacts
        never, and calls never (the caller heard that the on-call nurse is paged)."""
        if self.hours is None or urgency == "urgent" or channel == "voice":
            return None
        if self.hours.is_open(at):
            return None
        return self.hours.next_open(at)

    def for_urgency(self, urgency: str) -> Policy:
        if urgency != "urgent":
            return self
        if self.urgent is not None:
            return self.urgent
        steps = tuple(Step(s.targets, tuple(dict.fromkeys((*s.channels, "call"))), s.wait,
                           s.ring_seconds) for s in self.steps)
        return Policy(steps, self.repeat, callback=self.callback, hours=self.hours,
                      last_resort=self.last_resort)

    def rounds_every(self) -> timedelta:
        """The shortest last-resort interval of this policy and its urgent one: a manager's
        round calls are bundled into one call per this long (messages.round_calls)."""
        urgent = self.urgent.last_resort.every if self.urgent is not None else None
        return min(self.last_resort.every, urgent or self.last_resort.every)

    def schedule_names(self) -> set[str]:
        """The NAMEs of the policy's ``schedule:NAME`` targets (a rotation or a layer), the
        urgent steps' too."""
        names = {t.removeprefix("schedule:") for s in self.steps for t in s.targets
                 if t.startswith("schedule:")}
        return names | (self.urgent.schedule_names() if self.urgent is not None else set())

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
    unknown = set(raw) - {"targets", "channels", "wait_seconds", "wait_minutes", "ring_seconds"}
    if unknown:
        raise PolicyError(f"{where}: unknown field {sorted(unknown)[0]!r}")
    ring = raw.get("ring_seconds", 20)
    if not isinstance(ring, int) or isinstance(ring, bool) or not 5 <= ring <= 120:
        raise PolicyError(f"{where}: 'ring_seconds' must be a whole number from 5 to 120")
    return Step(
        targets=tuple(_target(t, where) for t in targets),
        channels=tuple(dict.fromkeys(channels)),
        wait=wait,
        ring_seconds=ring,
    )


def parse_policy(text: str, source: str = "policy",
                 default_zone: str = "America/New_York") -> Policy:
    """Parse policy TOML; raise PolicyError naming the first problem."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{source}: not valid TOML: {exc}") from None
    urgent = raw.pop("urgent", None)
    if urgent is not None and not isinstance(urgent, dict):
        raise PolicyError(f"{source}: [urgent] must be a table with its own [[urgent.steps]]")
    hours = _hours(raw, source, default_zone)
    limit = _sms_limit(raw.pop("limits", {}), source)
    policy = _policy(raw, source, LastResort())
    return Policy(policy.steps, policy.repeat,
                  _policy(urgent, f"{source}: urgent", policy.last_resort)
                  if urgent is not None else None,
                  policy.callback, hours, limit, policy.last_resort)


def _sms_limit(raw: object, source: str) -> SmsLimit:
    """``[limits]``: sms_per_person (default 5) in window_minutes (default 15)."""
    if not isinstance(raw, dict) or set(raw) - {"sms_per_person", "window_minutes"}:
        raise PolicyError(f"{source}: [limits] takes sms_per_person and window_minutes")
    count, minutes = raw.get("sms_per_person", 5), raw.get("window_minutes", 15)
    for name, value in (("sms_per_person", count), ("window_minutes", minutes)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise PolicyError(f"{source}: [limits] {name} must be a whole number from 1")
    return SmsLimit(count, timedelta(minutes=minutes))


def _hours(raw: dict[str, object], source: str, default_zone: str) -> OpeningHours | None:
    """The opening hours when ``[routine] wait_for_opening_hours`` asks routine texts to wait."""
    table, routine = raw.pop("hours", None), raw.pop("routine", None)
    if routine is None:
        return None
    if not isinstance(routine, dict) or set(routine) - {"wait_for_opening_hours"}:
        raise PolicyError(f"{source}: [routine] takes only wait_for_opening_hours = true|false")
    wait = routine.get("wait_for_opening_hours", False)
    if not isinstance(wait, bool):
        raise PolicyError(f"{source}: [routine] wait_for_opening_hours must be true or false")
    if not wait:
        return None
    if not isinstance(table, dict):
        raise PolicyError(f"{source}: routine texts wait for opening hours, but there is no "
                          "[hours] table")
    try:
        return parse_hours(table, f"{source}: [hours]", default_zone)
    except HoursError as exc:
        raise PolicyError(str(exc)) from None


def _policy(raw: dict[str, object], source: str, last_resort: LastResort) -> Policy:
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
        last_resort=_last_resort(raw, source, last_resort),
    )


def _last_resort(raw: dict[str, object], source: str, default: LastResort) -> LastResort:
    """``last_resort_minutes``: how often the last-resort round repeats (default 10; the
    urgent policy's default is the main one's)."""
    minutes = raw.get("last_resort_minutes")
    if minutes is None:
        return default
    if not isinstance(minutes, int | float) or isinstance(minutes, bool) or not 1 <= minutes <= 240:
        raise PolicyError(f"{source}: 'last_resort_minutes' must be a number from 1 to 240")
    return replace(default, every=timedelta(minutes=minutes))


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


def load_policy(path: Path, default_zone: str = "America/New_York") -> Policy:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyError(f"{path}: cannot read: {exc.strerror}") from None
    return parse_policy(text, str(path), default_zone)
