"""Classify one message: red flags, dangerous readings, the patient's care-plan rules.

:class:`Triager` is built once per process from ``config/triage.toml`` and is then a pure
function of the text (and, for care-plan rules, the patient's rules and recent weights): no
database, no clock. Every result says which rules fired, for the log and the manager's audit.
"""

from __future__ import annotations

import tomllib
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hub.triage.context import Context, MessageContext
from hub.triage.lexicon import shared_lexicon
from hub.triage.normalize import normalize
from hub.triage.pieces import PIECE_CHARS, overlap_for, pieces
from hub.triage.plan_rules import PlanRule, fired_plan_rules
from hub.triage.profile import Profiles
from hub.triage.quoted import quoted_threshold
from hub.triage.readings import Reading, latest_glucose, readings
from hub.triage.real_words import FILE_NAME as REAL_WORDS_FILE
from hub.triage.real_words import read as read_real_words
from hub.triage.second_opinion import FILE_NAME as MODEL_FILE
from hub.triage.second_opinion import SecondOpinion
from hub.triage.second_opinion import load as load_second_opinion

KINDS = ("emergency", "crisis")
DENIALS_WITHIN = 400  # words: past them a pasted body's mentions all count as asserted
_OPS = {">=": float.__ge__, "<=": float.__le__}


class TriageConfigError(ValueError):
    """The triage configuration cannot be used; the message names the entry."""


@dataclass(frozen=True)
class Flag:
    name: str
    kind: str
    any_of: tuple[str, ...] = ()
    near: tuple[str, ...] = ()
    window: int = 6
    when: str | None = None  # a patient profile (hub.triage.profile): only for such patients
    reading: tuple[str, str, float] | None = None  # ("glucose", ">=", 250): also needed
    # phrases that, covering a combination, make it something else ("dont want to die")
    unless: tuple[str, ...] = ()
    # concepts that count only where no denial covers them ("didnt hit my head", "sin
    # hinchazon"): for flags that infer an event from words near each other
    asserted: tuple[str, ...] = ()

    def read(self, found: Sequence[Reading]) -> bool:
        """Whether the message's readings meet the flag's reading (when it names one)."""
        if self.reading is None:
            return True
        kind, op, value = self.reading
        return any(r.kind.startswith(kind) and _OPS[op](float(r.value), value) for r in found)


@dataclass(frozen=True)
class Triage:
    """The outcome for one message.

    ``urgency`` is urgent|routine; ``guidance`` says what the patient is told at once
    ("911", "988" for a crisis, "plan" when only the patient's care-plan thresholds fired:
    the plan's own instruction, and that the nurse is being paged; or None); ``fired``
    names every rule that raised it (``flag:chest_pain``, ``reading:glucose_low``,
    ``plan:R2``); ``needs_details`` marks an empty message (the reply asks what is wrong).
    """

    urgency: str
    guidance: str | None = None
    fired: tuple[str, ...] = ()
    plan_rules: tuple[str, ...] = ()
    readings: tuple[Reading, ...] = field(default=(), repr=False)
    needs_details: bool = False
    set_aside: tuple[str, ...] = ()  # rules only mentioned in a denial or a distant past
    # whether the patient's own rules or profile could change this result (readings, or the
    # words of a flag for some patients only): the caller then asks again with them
    asks_patient: bool = False

    @property
    def urgent(self) -> bool:
        return self.urgency == "urgent"

    def audit(self) -> dict[str, Any]:
        """What the log keeps about this classification (encrypted there)."""
        return {"urgency": self.urgency, "guidance": self.guidance, "fired": list(self.fired),
                "set_aside": list(self.set_aside), "plan_rules": list(self.plan_rules),
                "readings": [[r.kind, r.value, r.second] for r in self.readings]}


class Triager:
    """Classifies messages with one practice's lexicon and thresholds."""

    def __init__(self, config: dict[str, Any], real_words: frozenset[str] = frozenset(),
                 second_opinion: SecondOpinion | None = None) -> None:
        """``real_words``: words never read as misspellings (hub.triage.real_words), less the
        ones ``[spelling] kept`` names; ``second_opinion``: the model that may raise a message
        the lexicon left routine (hub.triage.second_opinion), or None."""
        self.second_opinion = second_opinion
        kept = frozenset(normalize(" ".join(config.get("spelling", {}).get("kept", ()))).split())
        try:
            self.lexicon = shared_lexicon(config["concepts"], real_words - kept)
            self.profiles = Profiles.from_config(config.get("patient", {}))
            self.thresholds = {k: float(v) for k, v in config["thresholds"].items()}
            self.flags = [self._flag(i, raw) for i, raw in enumerate(config["flags"])]
            # which flags a concept can start: a message looks only at the flags of the
            # concepts it holds (in the file's order)
            self._flags_of: dict[str, list[int]] = {}
            for i, flag in enumerate(self.flags):
                for concept in set(flag.any_of + flag.near):
                    self._flags_of.setdefault(concept, []).append(i)
            self.context = Context.from_config(config.get("context", {}))
            self._crisis_index = self.lexicon.only(
                c for f in self.flags if f.kind == "crisis" for c in f.any_of + f.near
                + f.unless)
            self._overlap = overlap_for(self.lexicon.longest,
                                        max((f.window for f in self.flags), default=0))
        except KeyError as exc:
            raise TriageConfigError(f"triage config: missing {exc}") from None
        for key in ("glucose_low", "glucose_high", "bp_systolic_high", "bp_diastolic_high",
                    "bp_systolic_low"):
            if key not in self.thresholds:
                raise TriageConfigError(f"triage config: thresholds.{key} is missing")

    def _flag(self, index: int, raw: dict[str, Any]) -> Flag:
        where = f"triage config: flags[{index}]"
        reading = str(raw.get("reading", "")).split()
        if reading and (len(reading) != 3 or reading[1] not in _OPS
                        or not reading[2].replace(".", "", 1).isdigit()):
            raise TriageConfigError(f"{where}: reading must read like \"glucose >= 250\"")
        flag = Flag(name=str(raw.get("name", "")), kind=str(raw.get("kind", "")),
                    any_of=tuple(raw.get("any", ())), near=tuple(raw.get("near", ())),
                    window=int(raw.get("window", 6)), when=raw.get("when"),
                    unless=tuple(raw.get("unless", ())),
                    asserted=tuple(raw.get("asserted", ())),
                    reading=(reading[0], reading[1], float(reading[2])) if reading else None)
        if not flag.name or flag.kind not in KINDS:
            raise TriageConfigError(f"{where}: needs a name and kind emergency|crisis")
        if flag.when is not None and flag.when not in self.profiles.names:
            raise TriageConfigError(f"{where} ({flag.name}): unknown patient profile "
                                    f"{flag.when!r} (add [patient.{flag.when}])")
        if bool(flag.any_of) == bool(flag.near) or len(flag.near) == 1:
            raise TriageConfigError(f"{where} ({flag.name}): give `any`, or two+ `near`")
        if not set(flag.asserted) <= set(flag.any_of + flag.near):
            raise TriageConfigError(f"{where} ({flag.name}): `asserted` names a concept the "
                                    "flag does not use")
        for concept in flag.any_of + flag.near + flag.unless:
            if concept not in self.lexicon.concepts:
                raise TriageConfigError(f"{where} ({flag.name}): unknown concept {concept!r}")
        return flag

    def _red_flags(self, words: list[str], context: MessageContext,
                   patient: frozenset[str], found_readings: Sequence[Reading],
                   crisis_only: bool = False) -> tuple[list[Flag], list[Flag], bool]:
        """(flags fired, flags only mentioned where context sets them aside, whether a flag
        for some patients only was mentioned); ``crisis_only``: the crisis flags alone."""
        found = self.lexicon.find(words, self._crisis_index if crisis_only else None)
        fired, set_aside = [], []
        conditional = False
        denied: dict[str, list[tuple[int, int]]] = {}  # asserted concepts, denials left out
        flags_of = self._flags_of
        candidates = sorted({i for concept in found for i in flags_of.get(concept, ())})
        if crisis_only:
            candidates = [i for i in candidates if self.flags[i].kind == "crisis"]
        for flag in map(self.flags.__getitem__, candidates):
            if flag.near and not all(c in found for c in flag.near):
                continue
            seen = found
            if flag.asserted and any(c in found for c in flag.asserted):
                seen = dict(found)
                for concept in flag.asserted:
                    if concept in found and concept not in denied:
                        denied[concept] = [
                            span for span in found[concept] if span[0] > DENIALS_WITHIN
                            or not self.context.denied(words, span[0])]
                    if denied.get(concept):
                        seen[concept] = denied[concept]
                    else:
                        seen.pop(concept, None)
            if flag.when is not None:
                if not any(c in seen for c in flag.any_of + flag.near):
                    continue
                conditional = True
                if flag.when not in patient or not flag.read(found_readings):
                    continue
            elif flag.reading is not None and not flag.read(found_readings):
                continue
            covers = [span for c in flag.unless for span in seen.get(c, ())]
            if flag.any_of:
                # a mention a figure overlaps is that figure ("wants to die at home")
                starts: Iterable[int] = (start for c in flag.any_of
                                         for start, end in seen.get(c, ())
                                         if not any(a < end and start < b for a, b in covers))
            elif all(concept in seen for concept in flag.near):
                starts = _near([seen[c] for c in flag.near], flag.window)
            else:
                continue
            if covers and flag.near:
                # a figure covering the combination's start or beginning within its window
                starts = (s for s in starts
                          if not any(a <= s < b or s <= a <= s + flag.window for a, b in covers))
            mentioned = False
            for start in starts:
                mentioned = True
                if flag.kind == "crisis" or not (context.sets_aside(start)
                                                 or context.figurative(start)):
                    fired.append(flag)
                    break
            else:
                if mentioned:
                    set_aside.append(flag)
        return fired, set_aside, conditional

    def _dangerous(self, reading: Reading) -> str | None:
        t = self.thresholds
        if reading.kind == "bp":
            if reading.value >= t["bp_systolic_high"] or (reading.second or 0) >= t[
                    "bp_diastolic_high"]:
                return "bp_high"
            if reading.value <= t["bp_systolic_low"]:
                return "bp_low"
        if reading.kind in ("glucose", "glucose_lo") and reading.value < t["glucose_low"]:
            return "glucose_low"
        if reading.kind in ("glucose", "glucose_hi") and reading.value > t["glucose_high"]:
            return "glucose_high"
        if reading.kind == "spo2" and reading.value < t.get("spo2_low", 0):
            return "spo2_low"
        if reading.kind == "pulse":
            if reading.value >= t.get("pulse_high", 999):
                return "pulse_high"
            if reading.value <= t.get("pulse_low", 0):
                return "pulse_low"
        if reading.kind == "temp" and reading.value >= t.get("temperature_high", 999):
            return "temperature_high"
        if reading.kind == "potassium" and reading.value >= t.get("potassium_high", 99):
            return "potassium_high"
        return None

    def classify(self, text: str | None, plan: Sequence[PlanRule] = (),
                 recent_weights: Sequence[tuple[float, float]] = (),
                 patient: frozenset[str] = frozenset()) -> Triage:
        """Classify ``text``; ``plan`` are the patient's care-plan rules, ``recent_weights``
        their earlier weights as (hours ago, pounds) and ``patient`` the profiles their
        problem list and medications give (:meth:`profile`)."""
        if text is None or len(text) <= PIECE_CHARS:
            normalized = normalize(text)
            if not normalized:
                return Triage("routine", needs_details=True)
            return self._classify(normalized, normalized.split(), plan, recent_weights, patient)
        # a long message, piece by piece (hub.triage.pieces): read until the answer is 988,
        # and once it is 911, the rest for crisis language only
        found: list[Triage] = []
        first: list[str] = []
        carried: list[str] = []  # the piece before's last words
        cut = pieces(text)
        for n, piece in enumerate(cut):
            if any(t.guidance == "911" for t in found):
                # the rest at once, for crisis language only
                words = carried + normalize(piece + "".join(cut), numbers=False).split()
                context = self.context.for_message(words, now=True)
                if crises := self._red_flags(words, context, patient, (), crisis_only=True)[0]:
                    found.append(Triage("urgent", "988", tuple(f"flag:{f.name}" for f in crises)))
                break
            normalized = normalize(piece, numbers=n == 0)
            words = carried + normalized.split()
            carried = words[-self._overlap:]
            first = first or words
            if words:
                found.append(self._classify(" ".join(words), words, plan, recent_weights,
                                            patient, now=True, model=False))
                if found[-1].guidance == "988":
                    break
        merged = _merged(found)
        if not first:
            return Triage("routine", needs_details=True)
        if merged.urgent or merged.readings or merged.set_aside or self.second_opinion is None:
            return merged
        # the model reads a long message's first words (hub.triage.second_opinion)
        if (opinion := self.second_opinion.judge(first)) is None:
            return merged
        return Triage("urgent", guidance=opinion[0], fired=(f"model:{opinion[0]}",),
                      set_aside=merged.set_aside, asks_patient=merged.asks_patient)

    def _classify(self, normalized: str, words: list[str], plan: Sequence[PlanRule],
                  recent_weights: Sequence[tuple[float, float]], patient: frozenset[str],
                  now: bool | None = None, model: bool = True) -> Triage:
        """Classify one message's (or one piece's, ``now`` then saying whether the whole
        message speaks of now) normalized words; ``model``: whether the second opinion may
        raise it."""
        context = self.context.for_message(words, now)
        found = tuple(readings(normalized, words))
        current = latest_glucose(tuple(
            r for r in found if not (context.distant(r.position)
                                     or context.hypothetical(r.position)
                                     or quoted_threshold(words, r.position))), words)
        flags, flags_aside, conditional = self._red_flags(words, context, patient, current)
        fired = [f"flag:{flag.name}" for flag in flags]
        set_aside = [f"flag:{flag.name}" for flag in flags_aside]
        asks = conditional or bool(found)
        for reading in found:
            if danger := self._dangerous(reading):
                (fired if reading in current else set_aside).append(f"reading:{danger}")
        plan_hits = tuple(fired_plan_rules(plan, current, recent_weights))
        fired += [f"plan:{code}" for code in plan_hits]
        fired = list(dict.fromkeys(fired))  # each rule once, in the order found
        set_aside = [rule for rule in dict.fromkeys(set_aside) if rule not in fired]
        if not fired:
            # a reading is judged by the thresholds and the plan, not by the model; a mention
            # the reviewed context set aside (a past, a hypothetical, a figure) was read, not
            # missed: the model is a net for what the lexicon did not see
            opinion = (self.second_opinion.judge(words) if model and self.second_opinion
                       and not found and not set_aside else None)
            if opinion is not None:  # the model only ever raises (hub.triage.second_opinion)
                return Triage("urgent", guidance=opinion[0], fired=(f"model:{opinion[0]}",),
                              readings=found, set_aside=tuple(set_aside), asks_patient=asks)
            return Triage("routine", readings=found, set_aside=tuple(set_aside),
                          asks_patient=asks)
        crisis = any(f.kind == "crisis" for f in flags)
        emergency = any(not rule.startswith("plan:") for rule in fired)
        guidance = "988" if crisis else "911" if emergency else "plan"
        return Triage("urgent", guidance=guidance, fired=tuple(fired),
                      plan_rules=plan_hits, readings=found, set_aside=tuple(set_aside),
                      asks_patient=asks)

    def profile(self, conditions: Iterable[tuple[str | None, str | None]],
                medications: Iterable[str | None] = ()) -> frozenset[str]:
        """The patient profiles (heart_failure, anticoagulated...) of a problem list, as
        (code, text) pairs, and a medication list."""
        return self.profiles.of(conditions, medications)


def _merged(found: Sequence[Triage]) -> Triage:
    """One answer from a long message's pieces: every rule any piece fired, in order; 988 if
    any piece's crisis fired, else 911 if any emergency did, else the plan's answer."""
    fired = tuple(dict.fromkeys(rule for t in found for rule in t.fired))
    aside = tuple(dict.fromkeys(r for t in found for r in t.set_aside if r not in fired))
    found_readings = tuple(dict.fromkeys(r for t in found for r in t.readings))
    asks = any(t.asks_patient for t in found)
    guidance = next((g for g in ("988", "911", "plan") if any(t.guidance == g for t in found)),
                    None)
    return Triage("urgent" if fired else "routine", guidance=guidance, fired=fired,
                  plan_rules=tuple(dict.fromkeys(c for t in found for c in t.plan_rules)),
                  readings=found_readings, set_aside=aside, asks_patient=asks)


def _near(positions: list[list[tuple[int, int]]], window: int) -> Iterator[int]:
    """Start of each combination with every concept within ``window`` words of the first
    concept's occurrence (the earliest word of the combination), in order."""
    first, *others = positions
    other_starts = [sorted(start for start, _ in spans) for spans in others]
    for start, end in first:
        earliest = start
        for starts in other_starts:
            i = bisect_left(starts, start - window)
            if i == len(starts) or starts[i] > end + window:
                break
            earliest = min(earliest, starts[i])
        else:
            yield earliest


def load_triager(path: Path, real_words: frozenset[str] | None = None) -> Triager:
    """Read and check ``config/triage.toml`` (or another file), with the real-word list
    beside it (``triage_real_words.txt``) unless ``real_words`` is given."""
    try:
        config = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise TriageConfigError(f"triage config {path}: {exc}") from None
    if real_words is None:
        real_words = read_real_words(path.parent / REAL_WORDS_FILE)
    opinion = config.get("second_opinion", {})
    model = None
    if opinion.get("enabled", False):
        model = load_second_opinion(path.parent / str(opinion.get("model", MODEL_FILE)),
                                    float(opinion.get("threshold", 0.8)),
                                    float(opinion.get("crisis_threshold", 0.5)))
    return Triager(config, real_words, model)
