"""Progress of a large import, told a line at a time (the CLI sends the lines to stderr).

    >>> lines = []
    >>> progress = Progress(lines.append, minimum=10, steps=2)
    >>> for n in range(1, 21): progress("checked", n, 20)
    >>> lines
    ['checked 10 of 20 resources (50%)', 'checked 20 of 20 resources (100%)']
"""

from __future__ import annotations

from collections.abc import Callable


class Progress:
    """Reports each stage as it passes each tenth of the way; silent for small bundles."""

    def __init__(self, report: Callable[[str], None], minimum: int = 1000,
                 steps: int = 10) -> None:
        self._report = report
        self._minimum = minimum
        self._steps = steps
        self._reached: dict[str, int] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        if total < self._minimum:
            return
        step = done * self._steps // total
        if step > self._reached.get(stage, 0):
            self._reached[stage] = step
            self._report(f"{stage} {done:,} of {total:,} resources ({done * 100 // total}%)")

    def note(self, total: int, line: str) -> None:
        """A one-off line (a stage without steps), for bundles big enough to report."""
        if total >= self._minimum:
            self._report(line)
