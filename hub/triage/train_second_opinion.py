"""Train the second opinion (hub.triage.second_opinion) offline from the development set.

    python -m hub.triage.train_second_opinion

Reads the development files only (``tests/data/triage_messages.jsonl`` and
``triage_dev_*.jsonl``; a held-out file is refused), fits two logistic models by stochastic
gradient descent with a fixed seed (urgent vs routine; crisis vs the rest) over the features
of :func:`hub.triage.second_opinion.features`, drops weights too small to matter, and writes
``config/triage_model.json`` with every feature by name, sorted, so a change reads as a diff.
The same data gives the same file on every machine.
"""

from __future__ import annotations

import json
import math
import random
import sys
from collections.abc import Sequence
from pathlib import Path

from hub.triage.labelled import load
from hub.triage.normalize import normalize
from hub.triage.second_opinion import FILE_NAME, features

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
EPOCHS, RATE, L2, KEEP_ABOVE, SEED = 12, 0.2, 1e-4, 0.02, 1


def development_rows() -> list[dict]:  # type: ignore[type-arg]
    paths = [DATA / "triage_messages.jsonl", *sorted(DATA.glob("triage_dev_*.jsonl"))]
    for path in paths:
        if "heldout" in path.name:
            raise SystemExit(f"{path}: a held-out set is never trained on")
    return [row for path in paths for row in load(path)]


def fit(examples: Sequence[tuple[set[str], int]]) -> tuple[float, dict[str, float]]:
    """Logistic regression by SGD with L2 shrinkage; deterministic for a given input."""
    weights: dict[str, float] = {}
    bias = 0.0
    order = list(range(len(examples)))
    shuffle = random.Random(SEED).shuffle
    for _ in range(EPOCHS):
        shuffle(order)
        for i in order:
            found, label = examples[i]
            z = bias + sum(weights.get(f, 0.0) for f in found)
            error = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z)))) - label
            bias -= RATE * error
            for f in sorted(found):
                weights[f] = weights.get(f, 0.0) * (1 - RATE * L2) - RATE * error
    kept = {f: round(w, 4) for f, w in sorted(weights.items()) if abs(w) > KEEP_ABOVE}
    return round(bias, 4), kept


def main() -> int:
    rows = development_rows()
    found = [features(normalize(row["text"]).split()) for row in rows]
    urgent = fit([(f, int(row["label"] != "routine")) for f, row in zip(found, rows, strict=True)])
    crisis = fit([(f, int(row["label"] == "crisis")) for f, row in zip(found, rows, strict=True)])
    model = {"trained_on": len(rows), "features": "words, word pairs, 4-letter pieces",
             "urgent": {"bias": urgent[0], "weights": urgent[1]},
             "crisis": {"bias": crisis[0], "weights": crisis[1]}}
    target = ROOT / "config" / FILE_NAME
    target.write_text(json.dumps(model, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{len(rows)} rows; {len(urgent[1])} urgent and {len(crisis[1])} crisis weights "
          f"-> {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
