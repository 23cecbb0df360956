"""A second opinion that can only raise urgency: a small linear model over a message's words.

The lexicon (``config/triage.toml``) is the reviewed first line. When it leaves a message
routine, this model may still page: it scores the message's words, word pairs and four-letter
pieces of longer words ("ahog", "sangr": misspellings and verb forms share them) with weights
learnt offline from the development set (``python -m hub.triage.train_second_opinion``, which
writes ``config/triage_model.json``). Every weight is in that file by name, so a reviewer can
read what the model leans on; the log names the features that raised a message.

It never lowers anything and never changes a message the lexicon already made urgent. A raise
is answered with 911, or with 988 when the crisis score (a second model over the same
features) says so. Pure arithmetic over a dictionary: a few dozen microseconds a message.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from hub.triage.normalize import BOUNDARY

FILE_NAME = "triage_model.json"
WORDS_WITHIN = 400  # a pasted 20,000-character body is judged by its first words


def features(words: Sequence[str]) -> set[str]:
    """Words, pairs of neighbouring words ("cant_breathe") and 4-letter pieces ("#ahog") of
    words of five letters or more."""
    plain = [w for w in words[:WORDS_WITHIN] if w != BOUNDARY]
    found = set(plain)
    found.update(a + "_" + b for a, b in zip(plain, plain[1:], strict=False))
    for word in plain:
        if len(word) >= 5:
            found.update("#" + word[i:i + 4] for i in range(len(word) - 3))
    return found


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


@dataclass(frozen=True)
class Linear:
    """One logistic model: a bias and a weight per feature."""

    bias: float
    weights: dict[str, float]

    def probability(self, found: Iterable[str]) -> float:
        get = self.weights.get
        return _sigmoid(self.bias + sum(get(f, 0.0) for f in found))

    def strongest(self, found: Iterable[str], n: int = 3) -> list[str]:
        """The features that pushed hardest toward urgent, for the log."""
        scored = sorted(((self.weights.get(f, 0.0), f) for f in found), reverse=True)
        return [f for weight, f in scored[:n] if weight > 0]


@dataclass(frozen=True)
class SecondOpinion:
    """The urgent model, the crisis model and the thresholds the practice chose."""

    urgent: Linear
    crisis: Linear
    threshold: float
    crisis_threshold: float

    def judge(self, words: Sequence[str]) -> tuple[str, tuple[str, ...]] | None:
        """("911" or "988", the strongest features) when the model would page, else None."""
        found = features(words)
        if self.urgent.probability(found) < self.threshold:
            return None
        crisis = self.crisis.probability(found) >= self.crisis_threshold
        return ("988" if crisis else "911"), tuple(self.urgent.strongest(found))


def load(path: Path, threshold: float, crisis_threshold: float) -> SecondOpinion | None:
    """The model file (None when there is none: the lexicon then decides alone)."""
    if not path.is_file():
        return None
    raw = json.loads(path.read_text(encoding="utf-8"))
    return SecondOpinion(Linear(float(raw["urgent"]["bias"]), raw["urgent"]["weights"]),
                         Linear(float(raw["crisis"]["bias"]), raw["crisis"]["weights"]),
                         threshold, crisis_threshold)
