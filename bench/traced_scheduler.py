"""``hub scheduler`` under tracemalloc, for finding what grows in the engine over a long run.

Run in place of ``hub scheduler`` (same environment; ``python bench/storm_bench.py
--trace-scheduler DIR`` does): it starts tracemalloc, runs the engine's tick as the command
does, and every ``TRACE_EVERY`` seconds (default 60) writes to ``DIR/snapshot-<n>.bin``
a tracemalloc snapshot (the first after ``TRACE_SETTLE`` seconds, default 60) and the
sizes of the process's known caches; ``python bench/traced_scheduler.py --compare DIR``
then prints the 25 source lines whose allocations grew most from the first snapshot to the
last. Slow (every allocation is traced): figures of time from such a run mean nothing.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import tracemalloc
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


def _write(out: Path, n: int, rt) -> None:  # type: ignore[no-untyped-def]
    """Dump this moment's snapshot (compared later, outside this process) and the caches."""
    tracemalloc.take_snapshot().dump(str(out / f"snapshot-{n:03d}.bin"))
    (out / f"caches-{n:03d}.txt").write_text("\n".join(_caches(rt)) + "\n")


def compare(out: Path) -> str:
    """What grew most from the first snapshot to the last, by source line (run after)."""
    dumps = sorted(out.glob("snapshot-*.bin"))
    first, last = (tracemalloc.Snapshot.load(str(p)) for p in (dumps[0], dumps[-1]))
    stats = last.compare_to(first, "lineno")
    total = sum(stat.size for stat in last.statistics("filename"))
    return "\n".join([f"{dumps[0].name} -> {dumps[-1].name}; traced {total / 2**20:.1f} MiB",
                      *map(str, stats[:25])])


def main() -> int:
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    every = float(os.environ.get("TRACE_EVERY", "60"))
    settle = float(os.environ.get("TRACE_SETTLE", "60"))
    tracemalloc.start(1)  # one frame: the line that allocated (deeper stacks cost too much)
    from app import create_app
    from messages import engine

    app = create_app()
    rt = app.extensions["hub"]
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with app.app_context():
        running = engine.start(rt, interval_seconds=0.05, max_rounds=50)
        stop.wait(settle)
        n = 0
        while True:
            _write(out, n, rt)
            n += 1
            if stop.wait(every):
                break
        running.shutdown(wait=False)
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--compare"]:
        print(compare(Path(sys.argv[2])))
        sys.exit(0)
    sys.exit(main())
