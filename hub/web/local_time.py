"""Times on the staff pages: in the practice's time zone (HUB_TIMEZONE), never bare UTC.

    {{ contact.received_at | local }}            2026-12-01 22:00 EST
    {{ contact.received_at | local(seconds=True) }}
"""

from __future__ import annotations

from datetime import datetime

from messages import runtime


def local(at: datetime | None, seconds: bool = False) -> str:
    """``at`` as the practice's wall time with the zone's abbreviation (EST, EDT...), which
    also tells the two 01:30s of the night the clocks go back apart."""
    if at is None:
        return ""
    wall = at.astimezone(runtime.current().settings.tz)
    return wall.strftime("%Y-%m-%d %H:%M:%S %Z" if seconds else "%Y-%m-%d %H:%M %Z")
