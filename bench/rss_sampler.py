"""Resident memory of the hub's processes, sampled on a thread while a benchmark runs: the
soak's question is whether it stays flat (a leak shows as steady growth)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path


def rss_kib(pid: int) -> int | None:
    """The process's resident set (VmRSS) in KiB, or None when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


class RssSampler:
    """Every ``every`` seconds, the summed RSS of each named group of processes."""

    def __init__(self, groups: Callable[[], dict[str, list[int]]], every: float) -> None:
        self.groups, self.every = groups, every
        self.samples: list[tuple[float, dict[str, int]]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> RssSampler:
        self._started = time.monotonic()
        self._thread.start()
        return self

    def stop(self, settled_after: float) -> dict[str, dict[str, float]]:
        """Stop; per group: the first sample once ``settled_after`` seconds have passed (a
        worker's first minute loads its language models and fills its caches), the last and
        the largest (MiB), the growth from that first to the last, and every sample."""
        self._stop.set()
        self._thread.join()
        return self.summary(settled_after)

    def _run(self) -> None:
        while True:
            taken = {name: sum(kib for kib in map(rss_kib, pids) if kib)
                     for name, pids in self.groups().items()}
            self.samples.append((time.monotonic() - self._started, taken))
            if self._stop.wait(self.every):
                return

    def summary(self, settled_after: float) -> dict[str, dict[str, object]]:
        out: dict[str, dict[str, object]] = {}
        if not self.samples:
            return out
        for name in self.samples[0][1]:
            timed = [(at, sample[name]) for at, sample in self.samples if sample.get(name)]
            settled = [kib for at, kib in timed if at >= settled_after] or [timed[-1][1]]
            if not timed:
                continue
            first, last = settled[0], settled[-1]
            out[name] = {"at_start_mib": timed[0][1] / 1024, "first_mib": first / 1024,
                         "last_mib": last / 1024, "max_mib": max(k for _, k in timed) / 1024,
                         "growth_pct": 100.0 * (last - first) / first,
                         "series_mib": [(round(at), round(k / 1024, 1)) for at, k in timed]}
        return out
