"""Triage benchmark: sensitivity and specificity on the labelled sets, and time per message.

    python bench/triage_bench.py [--repeat 20]

Prints, for ``tests/data/triage_messages.jsonl`` and ``triage_dev_*.jsonl`` (the development
set) and the held-out sets ``tests/data/triage_heldout.jsonl``, ``triage_heldout_2.jsonl``,
``triage_heldout_3.jsonl`` and ``triage_heldout_4.jsonl`` (each written separately, see the
README): sensitivity for emergencies and crises (urgent), specificity on
routine messages, how many crises got the 988 answer; every missed emergency and every false
alarm of the development set only (a held-out set is reported in counts and figures alone:
its messages stay out of tuning). A row's "plan" (conditions, medications, instructions)
becomes its patient's triage context (hub.triage.labelled). Then the classification time of
one message (p50, p99, max over every message of every set, each with its row's patient,
``--repeat`` times), and of hostile bodies (20,000
characters, emoji, other scripts, control characters). Writes ``bench/results/triage.json``.
"""

from __future__ import annotations

import argparse
import gc
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
from hub.triage.labelled import RowPatient, classify_row, load, patient_of  # noqa: E402

DATA = ROOT / "tests" / "data"
# the development set: the first labelled file and the development files written since
# (triage_dev_*.jsonl, each by a writer of its own; see tests/data/triage_dev_sets.md)
DEVELOPMENT_FILES = [DATA / "triage_messages.jsonl", *sorted(DATA.glob("triage_dev_*.jsonl"))]
SETS = {"development": DEVELOPMENT_FILES, "held-out": [DATA / "triage_heldout.jsonl"],
        "held-out 2": [DATA / "triage_heldout_2.jsonl"],
        "held-out 3": [DATA / "triage_heldout_3.jsonl"],
        "held-out 4": [DATA / "triage_heldout_4.jsonl"]}
NOBODY = RowPatient()
DEVELOPMENT = "development"  # the only set whose messages the bench may print
GOALS = {"sensitivity": 1.0, "specificity": 0.90, "p99_ms": 1.0, "hostile_max_ms": 5.0}


def accuracy(triager, rows: list[dict], show: bool  # type: ignore[no-untyped-def,type-arg]
             ) -> dict:  # type: ignore[type-arg]
    """The set's figures; ``show``: list the misses and false alarms (development set only)."""
    verdicts = [classify_row(triager, r) for r in rows]
    urgent = [i for i, r in enumerate(rows) if r["label"] != "routine"]
    routine = [i for i, r in enumerate(rows) if r["label"] == "routine"]
    missed = [i for i in urgent if not verdicts[i].urgent]
    alarms = [i for i in routine if verdicts[i].urgent]
    crises = [i for i, r in enumerate(rows) if r["label"] == "crisis"]
    told_988 = sum(verdicts[i].guidance == "988" for i in crises)
    by_lang = {}
    for lang in sorted({r["lang"] for r in rows}):
        u = [i for i in urgent if rows[i]["lang"] == lang]
        n = [i for i in routine if rows[i]["lang"] == lang]
        by_lang[lang] = {
            "sensitivity": 1 - sum(i in missed for i in u) / len(u) if u else None,
            "specificity": 1 - sum(i in alarms for i in n) / len(n) if n else None,
        }
    result = {"messages": len(rows), "urgent": len(urgent), "routine": len(routine),
              "sensitivity": 1 - len(missed) / len(urgent) if urgent else None,
              "specificity": 1 - len(alarms) / len(routine) if routine else None,
              "crises": len(crises), "crises_told_988": told_988, "by_language": by_lang,
              "with_plan": sum(bool(r.get("plan")) for r in rows),
              "missed_count": len(missed), "false_alarm_count": len(alarms)}
    if show:
        result["missed"] = [f"{rows[i]['id']} ({rows[i]['kind']}): {rows[i]['text']}"
                            for i in missed]
        result["false_alarms"] = [f"{rows[i]['id']} {list(verdicts[i].fired)}: "
                                  f"{rows[i]['text']}" for i in alarms]
    return result


def _pct(value: float | None) -> str:
    return f"{value:>12.1%}" if value is not None else f"{'-':>12}"


def timings_ms(triager, work: list,  # type: ignore[no-untyped-def,type-arg]
               repeat: int) -> list[float]:
    """Each classification of (text, row patient) timed alone, with the garbage collector paused
    (as timeit does: a collection is the whole process's cost, not this function's)."""
    out = []
    gc.collect()
    gc.disable()
    try:
        for _ in range(repeat):
            for text, patient in work:
                start = time.perf_counter()
                triager.classify(text, patient.rules, (), patient.profile)
                out.append((time.perf_counter() - start) * 1000)
    finally:
        gc.enable()
    return sorted(out)


def percentile(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(q * len(values)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--false-alarms", action="store_true",
                        help="also list the development set's false alarms")
    args = parser.parse_args(argv)
    triager = load_triager(DEFAULT_TRIAGE)
    sets = {name: [row for path in paths for row in load(path)]
            for name, paths in SETS.items() if all(path.exists() for path in paths)}
    result: dict = {"sets": {}}  # type: ignore[type-arg]
    print("triage benchmark (config/triage.toml); held-out sets: counts and figures only\n")
    print(f"{'set':12}{'messages':>9}{'urgent':>8}{'sensitivity':>13}{'routine':>9}"
          f"{'specificity':>13}{'988 told':>10}")
    for name, rows in sets.items():
        r = accuracy(triager, rows, show=name == DEVELOPMENT)
        result["sets"][name] = r
        print(f"{name:12}{r['messages']:>9}{r['urgent']:>8}{_pct(r['sensitivity'])} "
              f"{r['routine']:>9}{_pct(r['specificity'])} {r['crises_told_988']:>4}/{r['crises']}"
              f"   ({r['with_plan']} with a plan; {r['missed_count']} missed, "
              f"{r['false_alarm_count']} false alarms)")
        for lang, figures in r["by_language"].items():
            print(f"  {lang:10}{'':17}{_pct(figures['sensitivity'])} {'':9}"
                  f"{_pct(figures['specificity'])}")
        for line in r.get("missed", []):
            print(f"  MISSED {line}")
        for line in r.get("false_alarms", []) if args.false_alarms else []:
            print(f"  FALSE ALARM {line}")

    # each message timed as the hub triages it: with its patient's rules and profile
    work = [(row["text"], patient_of(triager, row)) for rows in sets.values() for row in rows]
    texts = [text for text, _ in work]
    times = timings_ms(triager, work, args.repeat)
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
        samples = timings_ms(triager, [(text, NOBODY)], 5)
        verdict = triager.classify(text)
        result["hostile_ms"][label] = {"chars": len(text), "best": samples[0], "worst": samples[-1],
                                       "urgency": verdict.urgency}
        print(f"  {label:32}{len(text):>7} chars {samples[0]:7.2f} / {samples[-1]:7.2f} ms  "
              f"{verdict.urgency}")

    dev = result["sets"].get("development", {})
    worst = max(v["worst"] for v in result["hostile_ms"].values())
    checks = [("sensitivity 100% (development set)",
               dev.get("sensitivity", 0) >= GOALS["sensitivity"]),
              ("specificity >= 90% (development set)",
               dev.get("specificity", 0) >= GOALS["specificity"]),
              ("one message p99 < 1 ms", result["per_message_ms"]["p99"] < GOALS["p99_ms"]),
              ("every crisis answered with 988 (every set)",
               all(r["crises_told_988"] == r["crises"] for r in result["sets"].values())),
              (f"hostile bodies < 5 ms (worst {worst:.1f} ms)", worst < GOALS["hostile_max_ms"])]
    result["goals"] = [{"goal": text, "pass": ok} for text, ok in checks]
    print("\ngoals:")
    for text, ok in checks:
        print(f"  {'PASS' if ok else 'FAIL'}  {text}")
    print(f"\nresults: {write_result('triage', result)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
