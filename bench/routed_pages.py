"""When the hub routed each contact: its first ``escalation.paged`` entry in the contact log.

With the shipped policy a storm's pages are held and bundled per person (five SMS in fifteen
minutes, one call a minute): the nurse's phone is not where a contact's routing shows, the log
is. The benchmarks read it here, by MessageSid, on the wall clock (the log's own time).
"""

from __future__ import annotations

import time
from datetime import UTC

from sqlalchemy import create_engine, func, select

from hub.models import Contact, LogEntry

_ROUTED = (select(Contact.provider_sid, func.min(LogEntry.at))
           .join(LogEntry, LogEntry.contact_id == Contact.id)
           .where(LogEntry.event == "escalation.paged").group_by(Contact.provider_sid))


class RoutedLog:
    """A reader of the hub's database, kept open while a benchmark polls it."""

    def __init__(self, database_url: str) -> None:
        self.engine = create_engine(database_url)

    def routed(self, sids: list[str] | None = None) -> dict[str, float]:
        """MessageSid -> when its contact was routed (epoch seconds)."""
        query = _ROUTED if sids is None else _ROUTED.where(Contact.provider_sid.in_(sids))
        with self.engine.connect() as conn:
            return {sid: (at if at.tzinfo else at.replace(tzinfo=UTC)).timestamp()
                    for sid, at in conn.execute(query)}

    def wait(self, sids: list[str], timeout: float, quiet: float | None = None,
             every: float = 0.2) -> tuple[dict[str, float], float]:
        """Poll until every one of ``sids`` is routed, ``timeout`` s pass, or ``quiet`` s
        pass with none newly routed; return those routed, and when (monotonic) the last poll
        that found more of them began: an upper bound on when the last was routed, ``every``
        s at most late (the log's time is its pass's start, earlier than its commit)."""
        deadline, last_change, seen = time.monotonic() + timeout, time.monotonic(), -1
        wanted, found_at = set(sids), time.monotonic()
        while True:
            began = time.monotonic()
            done = {sid: at for sid, at in self.routed().items() if sid in wanted}
            now = time.monotonic()
            if len(done) != seen:
                seen, last_change, found_at = len(done), now, began
            if len(done) >= len(wanted) or now >= deadline or (quiet and now - last_change > quiet):
                return done, found_at
            time.sleep(every)

    def close(self) -> None:
        self.engine.dispose()
