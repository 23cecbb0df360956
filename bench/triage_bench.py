"""Triage benchmark: sensitivity and specificity on the labelled sets, and time per message.

    python bench/triage_bench.py [--repeat 20]

Prints, for ``tests/data/triage_messages.jsonl`` (the development set) and
``tests/data/triage_heldout.jsonl`` (written separately, see the README): sensitivity for
emergencies and crises (urgent), specificity on routine messages, how many crises got the 988
answer, every missed emergency; then the classification time of one message (p50, p99, max
over every message of both sets, ``--repeat`` times), and of hostile bodies (20,000
characters, emoji, other scripts, control characters). Writes ``bench/results/triage.json``.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from benchkit import write_result  # noqa: E402

from config.settings import DEFAULT_TRIAGE  # noqa: E402
from hub.triage import load_triager  # noqa: E402

DATA = ROOT / "tests" / "data"
SETS = {"development": DATA / "triage_messages.jsonl", "held-out": DATA / "triage_heldout.jsonl"}
GOALS = {"sensitivity": 1.0, "specificity": 0.85, "p99_ms": 1.0, "hostile_max_ms": 5.0}


def load(path: Path) -> list[dict[str, str]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def accuracy(triager, rows: list[dict[str, str]]) -> dict:  # type: ignore[no-untyped-def,type-arg]
    urgent = [r for r in rows if r["label"] != "routine"]
    routine = [r for r in rows if r["label"] == "routine"]
    missed = [r for r in urgent if not triager.classify(r["text"]).urgent]
    alarms = [r for r in routine if triager.classify(r["text"]).urgent]
    crises = [r for r in rows if r["label"] == "crisis"]
    told_988 = sum(triager.classify(r["text"]).guidance == "988" for r in crises)
    by_lang = {}
    for lang in sorted({r["lang"] for r in rows}):
        u = [r for r in urgent if r["lang"] == lang]
        n = [r for r in routine if r["lang"] == lang]
        by_lang[lang] = {
            "sensitivity": 1 - sum(r in missed for r in u) / len(u) if u else None,
            "specificity": 1 - sum(r in alarms for r in n) / len(n) if n else None,
        }
    return {"messages": len(rows), "urgent": len(urgent), "routine": len(routine),
            "sensitivity": 1 - len(missed) / len(urgent),
            "specificity": 1 - len(alarms) / len(routine),
            "crises": len(crises), "crises_told_988": told_988, "by_language": by_lang,
            "missed": [f"{r['id']} ({r['kind']}): {r['text']}" for r in missed]}


def timings_ms(triager, texts: list[str], repeat: int) -> list[float]:  # type: ignore[no-untyped-def]
    """Each classification timed alone, with the garbage collector paused (as timeit does:
    a collection is the whole process's cost, not this function's)."""
    out = []
    gc.collect()
    gc.disable()
    try:
        for _ in range(repeat):
            for text in texts:
                start = time.perf_counter()
                triager.classify(text)
                out.append((time.perf_counter() - start) * 1000)
    finally:
        gc.enable()
    return sorted(out)


def percentile(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(q * len(values)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args(argv)
    triager = load_triager(DEFAULT_TRIAGE)
    sets = {name: load(path) for name, path in SETS.items() if path.exists()}
    result: dict = {"sets": {}}  # type: ignore[type-arg]
    print("triage benchmark (config/triage.toml)\n")
    print(f"{'set':12}{'messages':>9}{'urgent':>8}{'sensitivity':>13}{'routine':>9}"
          f"{'specificity':>13}{'988 told':>10}")
    for name, rows in sets.items():
        r = accuracy(triager, rows)
        result["sets"][name] = r
        print(f"{name:12}{r['messages']:>9}{r['urgent']:>8}{r['sensitivity']:>12.1%} "
              f"{r['routine']:>9}{r['specificity']:>12.1%} {r['crises_told_988']:>4}/{r['crises']}")
        for lang, figures in r["by_language"].items():
            print(f"  {lang:10}{'':17}{figures['sensitivity']:>12.1%} {'':9}"
                  f"{figures['specificity']:>12.1%}")
        for line in r["missed"]:
            print(f"  MISSED {line}")

    texts = [row["text"] for rows in sets.values() for row in rows]
    times = timings_ms(triager, texts, args.repeat)
    result["per_message_ms"] = {"n": len(times), "p50": statistics.median(times),
                                "p99": percentile(times, 0.99), "max": times[-1]}
    print(f"\none message: n={len(times)} p50 {result['per_message_ms']['p50']:.3f} ms, "
          f"p99 {result['per_message_ms']['p99']:.3f} ms, max {times[-1]:.3f} ms")

    random.seed(7)
    pasted = " ".join(random.choice(texts) for _ in range(400))[:20_000]
    hostile = {"20,000 chars of real messages": pasted, "20,000 x 'x'": "x" * 20_000,
               "20,000 emoji": "😭" * 20_000,
               "mixed scripts": ("Привет 你好 مرحبا chest " * 800)[:20_000],
               "control characters": "\x00\x01\x1b[31m" * 4000, "empty": "",
               "one red flag at the very end": "refill question. " * 1100 + "chest pain now"}
    result["hostile_ms"] = {}
    print("\nhostile bodies (best of 5 / worst of 5):")
    for label, text in hostile.items():
        samples = timings_ms(triager, [text], 5)
        verdict = triager.classify(text)
        result["hostile_ms"][label] = {"chars": len(text), "best": samples[0], "worst": samples[-1],
                                       "urgency": verdict.urgency}
        print(f"  {label:32}{len(text):>7} chars {samples[0]:7.2f} / {samples[-1]:7.2f} ms  "
              f"{verdict.urgency}")

    dev = result["sets"].get("development", {})
    worst = max(v["worst"] for v in result["hostile_ms"].values())
    checks = [("sensitivity 100% (development set)",
               dev.get("sensitivity", 0) >= GOALS["sensitivity"]),
              ("specificity >= 85% (development set)",
               dev.get("specificity", 0) >= GOALS["specificity"]),
              ("one message p99 < 1 ms", result["per_message_ms"]["p99"] < GOALS["p99_ms"]),
              (f"hostile bodies < 5 ms (worst {worst:.1f} ms)", worst < GOALS["hostile_max_ms"])]
    result["goals"] = [{"goal": text, "pass": ok} for text, ok in checks]
    print("\ngoals:")
    for text, ok in checks:
        print(f"  {'PASS' if ok else 'FAIL'}  {text}")
    print(f"\nresults: {write_result('triage', result)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
