"""Language benchmark: how often the answer's language follows the message, on the labelled sets.

    python bench/language_bench.py [--repeat 5]

For every message of ``tests/data/triage_messages.jsonl`` and ``triage_heldout.jsonl`` (each
labelled ``en`` or ``es`` by the person who wrote it), asks :func:`hub.language.written_in`
which language it is clearly written in, and counts right, wrong, and left to the sender's
profile (too short or not clear). Then the time the models take to load in a fresh process,
and the time of one detection (p50, p99 over every message, ``--repeat`` times). Writes
``bench/results/language.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from benchkit import write_result  # noqa: E402

from hub import language  # noqa: E402

DATA = ROOT / "tests" / "data"
SETS = (DATA / "triage_messages.jsonl", DATA / "triage_heldout.jsonl")
LOAD = ("import time; from hub import language; t = time.perf_counter(); language.warm(); "
        "print(time.perf_counter() - t)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    rows = [json.loads(line) for path in SETS
            for line in path.read_text(encoding="utf-8").splitlines()]
    loads = [float(subprocess.run([sys.executable, "-c", LOAD], cwd=ROOT, check=True,
                                  capture_output=True, text=True).stdout) for _ in range(3)]
    language.warm()
    counts = {"right": 0, "wrong": 0, "profile": 0}
    wrong = []
    for row in rows:
        found = language.written_in(row["text"])
        kind = "profile" if found is None else "right" if found == row["lang"] else "wrong"
        counts[kind] += 1
        if kind == "wrong":
            wrong.append(row["id"])
    times = []
    for _ in range(args.repeat):
        for row in rows:
            start = time.perf_counter()
            language.written_in(row["text"])
            times.append((time.perf_counter() - start) * 1000)
    times.sort()
    result = {"messages": len(rows), **counts, "wrong_ids": wrong,
              "load_s": [round(s, 2) for s in loads],
              "p50_ms": round(statistics.median(times), 3),
              "p99_ms": round(times[int(len(times) * 0.99)], 3)}
    print(f"{len(rows)} labelled messages: {counts['right']} answered in their own language, "
          f"{counts['wrong']} in the other, {counts['profile']} left to the sender's profile "
          f"(shorter than three words or not clear)")
    print(f"models load in {', '.join(f'{s:.2f}' for s in loads)} s (fresh processes); one "
          f"detection p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms")
    write_result("language", result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
