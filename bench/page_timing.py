"""How the webhook benchmarks see a page: requests to the nurse at the loopback Twilio API,
matched to their webhooks through the contacts' references in the hub's database."""

from __future__ import annotations

import re
import time

PAGES = {"resource": "Messages"}  # what is timed as a contact's page: its SMS, or its call


def ben_pages(fake) -> list:  # type: ignore[no-untyped-def]
    """The nurse's pages: SMS, or (the shipped SMS limit holding and bundling them) calls."""
    from tests.practice import BEN
    return [r for r in fake.sent_to(BEN) if r.resource == PAGES["resource"]]


def wait_pages(fake, count: int, timeout: float, quiet: float | None = None) -> list:  # type: ignore[no-untyped-def]
    """Wait for ``count`` pages to the nurse, or ``timeout``, or ``quiet`` s with none new."""
    deadline = time.monotonic() + timeout
    last_change, seen = time.monotonic(), -1
    while True:
        total = len(fake.requests)
        pages = ben_pages(fake)
        if len(pages) != seen:
            seen, last_change = len(pages), time.monotonic()
        now = time.monotonic()
        if len(pages) >= count or now >= deadline or (quiet and now - last_change > quiet):
            return pages
        try:
            fake.wait_for(total + 1, timeout=min(0.5, deadline - now))
        except AssertionError:
            pass


def refs_by_sid(database_url: str) -> dict[str, str]:
    """MessageSid -> contact ref, read from the hub's database after the run (both in clear)."""
    from sqlalchemy import create_engine, select

    from hub.models import Contact

    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return dict(conn.execute(select(Contact.provider_sid, Contact.ref)).all())
    finally:
        engine.dispose()


def page_arrivals(pages: list, refs: set[str]) -> tuple[dict[str, float], int]:  # type: ignore[type-arg]
    """ref -> first page arrival (monotonic), and how many pages repeated a ref."""
    first: dict[str, float] = {}
    repeats = 0
    for page in pages:
        for ref in set(re.findall(r"[A-Z0-9]{8}", page.form.get("Body", ""))) & refs:
            if ref in first:
                repeats += 1
            first.setdefault(ref, page.at)
    return first, repeats


def next_page_delay(fake, shot, result, before: int) -> float | None:  # type: ignore[no-untyped-def]
    """The next page to the nurse after ``before`` of them (waited up to 5 s)."""
    pages = wait_pages(fake, before + 1, timeout=5.0)
    return pages[before].at - result.start if len(pages) > before else None
