"""Context that can set one red-flag mention aside: a direct denial, or a distant past.

"no chest pain today, just need a refill" and "the chest pain I had last month was checked"
name a red flag without reporting it now. A mention is set aside only when all of these hold:

- the practice switched the rule on in ``config/triage.toml`` ``[context]``;
- a denial ("no", "denies", "didn't", "sin", "ya no me") stands at most a few words before
  the mention, in the same clause, and is not a pseudo-denial ("not sure", "no se si"); or
  the mention's clause names a time weeks or more ago ("last month", "hace 3 anos");
- the message says nothing of now or of change anywhere ("again", "still", "worse",
  "started", "now", "otra vez", "todavia"...).

Apart from those, a mention inside a figure of speech the practice lists (``figurative``:
"this portal gives me a heart attack", "casi me da un infarto cuando vi la cuenta", "my
neighbor had a stroke") is set aside whatever else the message says: the words are not about
the patient's body now. Denials are not figures of speech and stay as above.

A mention in a message that says what it reports is the patient's **usual** state
(``baseline``: "same as always", "como siempre", "like it's been") is set aside on the same
conditions as a distant past. A present word in a clause that says all is well now
(``resolved``: "ahorita nada", "she's ok now", "none since") does not count as speaking of now.

A mention (or a reading) in a **hypothetical** clause the practice lists (``hypothetical``:
"what should I do if I ever fall and hit my head", "if my sugar ever goes over 300", "what
are the signs of a stroke", "si me caigo y me pego en la cabeza tengo que ir") is set aside
too, when that clause itself says nothing of now or of change: it asks about a future or a
possibility, not about the patient's body now. Another clause that reports the symptom now
keeps the message urgent.

It is never applied to a crisis (988) flag, and a set-aside mention only ever leaves the other
mentions and readings of the message to decide: one other red flag keeps it urgent. Every
set-aside mention is reported, so the log shows why a message was not urgent.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hub.triage.normalize import BOUNDARY, normalize
from hub.triage.phrases import PhraseIndex


def _pattern(entries: Sequence[str]) -> re.Pattern[str] | None:
    entries = [e for e in entries if e]
    return re.compile("|".join(f"(?:{e})" for e in entries)) if entries else None


def _phrases(entries: Sequence[str]) -> PhraseIndex[None]:
    return PhraseIndex((tuple(normalize(e).split()), None) for e in entries if normalize(e))


@dataclass(frozen=True)
class Context:
    """The practice's context rules, compiled."""

    denials: PhraseIndex[None]
    pseudo_denials: PhraseIndex[None]
    terminators: frozenset[str]
    chain: frozenset[str]
    reach: int
    present: PhraseIndex[None]
    distant_past: re.Pattern[str] | None
    use_denials: bool
    use_distant_past: bool
    denial_endings: dict[str, list[tuple[str, ...]]]
    figurative: re.Pattern[str] | None = None
    hypothetical: re.Pattern[str] | None = None
    resolved: re.Pattern[str] | None = None
    now: PhraseIndex[None] = PhraseIndex(())
    baseline: re.Pattern[str] | None = None

    @classmethod
    def from_config(cls, raw: dict[str, Any]) -> Context:
        past = [p for p in raw.get("distant_past", ()) if p]
        figures = [p for p in raw.get("figurative", ()) if p]
        hypotheses = [p for p in raw.get("hypothetical", ()) if p]
        endings: dict[str, list[tuple[str, ...]]] = {}
        for entry in raw.get("denials", ()):
            if words := tuple(normalize(entry).split()):
                endings.setdefault(words[-1], []).append(words)
        return cls(
            denials=_phrases(raw.get("denials", ())),
            pseudo_denials=_phrases(raw.get("pseudo_denials", ())),
            terminators=frozenset(normalize(" ".join(raw.get("terminators", ()))).split())
            | {BOUNDARY},
            chain=frozenset(normalize(" ".join(raw.get("chain", ()))).split()),
            reach=int(raw.get("reach", 3)),
            present=_phrases(raw.get("present", ())),
            distant_past=re.compile("|".join(f"(?:{p})" for p in past)) if past else None,
            use_denials=bool(raw.get("discount_denied", False)),
            use_distant_past=bool(raw.get("discount_distant_past", False)),
            denial_endings=endings,
            figurative=re.compile("|".join(f"(?:{p})" for p in figures)) if figures else None,
            hypothetical=(re.compile("|".join(f"(?:{p})" for p in hypotheses))
                          if hypotheses else None),
            resolved=_pattern(raw.get("resolved", ())),
            now=_phrases(raw.get("now", ())),
            baseline=_pattern(raw.get("baseline", ())),
        )

    def speaks_of_now(self, words: Sequence[str]) -> bool:
        """Whether the message says anything of the present or of change: a present word in
        a clause that does not say all is well now ("ahorita nada", "she's ok now", "none
        since": ``resolved``)."""
        if not self.present.anywhere(words):
            return False
        if self.resolved is None:
            return True
        clause: list[str] = []
        for word in [*words, BOUNDARY]:
            if word != BOUNDARY:
                clause.append(word)
                continue
            if clause and self.present.anywhere(clause) and not self.resolved.search(
                    " ".join(clause)):
                return True
            clause = []
        return False

    def denied(self, words: Sequence[str], at: int) -> bool:
        """Whether a denial covers word ``at``: it stands before it in the same clause, with
        no run of more than ``reach`` words between them that a list word ("or", "ni") does
        not join ("no chest pain or sob" covers "sob")."""
        run = 0
        for k in range(at - 1, max(-1, at - 64), -1):
            word = words[k]
            if word in self.terminators:
                return False
            for phrase in self.denial_endings.get(word, ()):
                begin = k - len(phrase) + 1
                if begin >= 0 and tuple(words[begin:k + 1]) == phrase and not (
                        self.pseudo_denials.at(words, begin)):
                    return True
            run = 0 if word in self.chain else run + 1
            if run > self.reach:
                return False
        return False

    def for_message(self, words: Sequence[str], now: bool | None = None) -> MessageContext:
        """The rules applied to ``words``; ``now``: whether the whole message speaks of now,
        when ``words`` are one piece of it (hub.triage.pieces)."""
        found = MessageContext(self, words)
        if now is not None:
            found._active = (self.use_denials or self.use_distant_past) and not now
        return found


class MessageContext:
    """The context rules applied to one message (clause bounds and answers cached)."""

    def __init__(self, context: Context, words: Sequence[str]) -> None:
        self.context = context
        self.words = words
        self._active: bool | None = None  # worked out on the first question
        self._bounds: list[int] | None = None
        self._aside: dict[int, bool] = {}
        self._distant: dict[int, bool] = {}
        self._figures: dict[int, list[tuple[int, int]]] = {}
        self._hypothetical: dict[int, bool] = {}
        self._usual: bool | None = None

    @property
    def active(self) -> bool:
        if self._active is None:
            context = self.context
            self._active = (context.use_denials or context.use_distant_past) and not (
                context.speaks_of_now(self.words))
        return self._active

    def _clause(self, at: int) -> tuple[int, int]:
        if self._bounds is None:
            self._bounds = [i for i, w in enumerate(self.words) if w == BOUNDARY]
        i = bisect_left(self._bounds, at)
        start = self._bounds[i - 1] + 1 if i > 0 else 0
        end = self._bounds[i] if i < len(self._bounds) else len(self.words)
        return start, end

    def distant(self, at: int) -> bool:
        """Whether word ``at``'s clause names a time weeks or more ago."""
        pattern = self.context.distant_past
        if not (self.active and self.context.use_distant_past) or pattern is None:
            return False
        start, end = self._clause(at)
        if start not in self._distant:
            self._distant[start] = pattern.search(" ".join(self.words[start:end])) is not None
        return self._distant[start]

    def figurative(self, at: int) -> bool:
        """Whether word ``at`` lies inside a figure of speech of its clause."""
        pattern = self.context.figurative
        if pattern is None:
            return False
        start, end = self._clause(at)
        if start not in self._figures:
            clause = " ".join(self.words[start:end])
            self._figures[start] = [
                (start + clause.count(" ", 0, m.start()), start + clause.count(" ", 0, m.end()))
                for m in pattern.finditer(clause)]
        return any(first <= at <= last for first, last in self._figures[start])

    def hypothetical(self, at: int) -> bool:
        """Whether word ``at``'s clause asks about a possibility (and has no word of now:
        ``now``, "right now", "ahorita"; "if it ever happens again" is still a possibility)."""
        pattern = self.context.hypothetical
        if pattern is None:
            return False
        start, end = self._clause(at)
        if start not in self._hypothetical:
            clause = self.words[start:end]
            self._hypothetical[start] = (
                pattern.search(" ".join(clause)) is not None
                and not self.context.now.anywhere(clause))
        return self._hypothetical[start]

    def usual(self) -> bool:
        """Whether the message says what it reports is the patient's usual state ("same as
        always", "como siempre", "like it's been") and nothing of now or of change."""
        if self._usual is None:
            pattern = self.context.baseline
            self._usual = bool(self.active and self.context.use_distant_past and pattern
                               and pattern.search(" ".join(self.words)))
        return self._usual

    def sets_aside(self, at: int) -> bool:
        """Whether the mention starting at word ``at`` is set aside (see the module doc)."""
        if at not in self._aside:
            self._aside[at] = self.hypothetical(at) or self.active and (
                (self.context.use_denials and self.context.denied(self.words, at))
                or self.distant(at) or self.usual())
        return self._aside[at]
