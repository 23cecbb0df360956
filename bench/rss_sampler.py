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

    def stop(self) -> dict[str, dict[str, float]]:
        """Stop; per group: first, last and largest sample (MiB) and the growth first->last."""
        self._stop.set()
        self._thread.join()
        return self.summary()

    def _run(self) -> None:
        while True:
            taken = {name: sum(kib for kib in map(rss_kib, pids) if kib)
                     for name, pids in self.groups().items()}
            self.samples.append((time.monotonic() - self._started, taken))
            if self._stop.wait(self.every):
                return

    def summary(self) -> dict[str, dict[str, float]]:
        out: dict[str, dict[str, float]] = {}
        if not self.samples:
            return out
        for name in self.samples[0][1]:
            series = [sample[name] for _, sample in self.samples if sample.get(name)]
            if not series:
                continue
            first, last = series[0], series[-1]
            out[name] = {"first_mib": first / 1024, "last_mib": last / 1024,
                         "max_mib": max(series) / 1024, "samples": len(series),
                         "growth_pct": 100.0 * (last - first) / first}
        return out
