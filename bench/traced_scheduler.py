"""``hub scheduler`` under tracemalloc, for finding what grows in the engine over a long run.

Run in place of ``hub scheduler`` (same environment; ``python bench/storm_bench.py
--trace-scheduler DIR`` does): it starts tracemalloc, runs the engine's tick as the command
does, and every ``HUB_TRACE_EVERY`` seconds (default 60) writes to ``DIR/growth-<n>.txt``
the 25 source lines whose allocations grew most since the first snapshot (taken after
``HUB_TRACE_SETTLE`` seconds, default 60), with the counts of the commonest object types
and the sizes of the process's known caches. Slow (every allocation is traced): figures of
time from such a run mean nothing.
"""

from __future__ import annotations

import gc
import os
import signal
import sys
import threading
import time
import tracemalloc
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _caches(rt) -> list[str]:  # type: ignore[no-untyped-def]
    from routing import roster

    lines = [f"crypto.decrypt_remembered: {rt.cipher.decrypt_remembered.cache_info()}",
             f"roster._handoff_at: {roster._handoff_at.cache_info()}"]
    compiled = getattr(rt.engine, "_compiled_cache", None)
    if compiled is not None:
        lines.append(f"SQLAlchemy compiled cache: {len(compiled)} statements")
    return lines


def _write(out: Path, n: int, first: tracemalloc.Snapshot, rt) -> None:  # type: ignore[no-untyped-def]
    snapshot = tracemalloc.take_snapshot().filter_traces(
        [tracemalloc.Filter(False, tracemalloc.__file__)])
    stats = snapshot.compare_to(first, "lineno")
    total = sum(stat.size for stat in snapshot.statistics("filename"))
    types = Counter(type(o).__name__ for o in gc.get_objects())
    lines = [f"traced now {total / 2**20:.1f} MiB", *_caches(rt), "", "grew most since the first:"]
    lines += [str(stat) for stat in stats[:25]]
    lines += ["", "commonest objects:", *(f"{count:>9} {name}" for name, count in
                                         types.most_common(25))]
    (out / f"growth-{n:03d}.txt").write_text("\n".join(lines) + "\n")


def main() -> int:
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    every = float(os.environ.get("HUB_TRACE_EVERY", "60"))
    settle = float(os.environ.get("HUB_TRACE_SETTLE", "60"))
    tracemalloc.start(8)
    from app import create_app
    from messages import engine

    app = create_app()
    rt = app.extensions["hub"]
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with app.app_context():
        running = engine.start(rt, interval_seconds=0.05, max_rounds=50)
        stop.wait(settle)
        first = tracemalloc.take_snapshot().filter_traces(
            [tracemalloc.Filter(False, tracemalloc.__file__)])
        n = 0
        while not stop.wait(every):
            n += 1
            _write(out, n, first, rt)
        _write(out, n + 1, first, rt)
        running.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
