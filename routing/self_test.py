"""The line's self-test: is someone reachable on call for the next hours?

A duty of the scheduler tick every 15 minutes (claimed in the database, so one process runs
it). It asks :func:`routing.coverage.find_gaps` about the next ``hours``: any gap (nobody on
primary call, or someone on call who is inactive, has no phone, or whose number refuses
pages) fails the test, and the managers are texted at once; the same gap again only after
``SELF_TEST_AGAIN_AFTER`` while it lasts. The hourly coverage alert looks 14 days ahead and
tells each gap once a day; this one watches the hours a patient may text in now.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from hub.duties import claim_duty
from routing.coverage import Gap, find_gaps, tell_managers

SELF_TEST_DUTY = "self_test"
SELF_TEST_EVERY = timedelta(minutes=15)
SELF_TEST_HOURS = 12
SELF_TEST_AGAIN_AFTER = timedelta(hours=4)

# The managers' SMS when the self-test fails (messages.texts.self_test_alert).
FailureWording = Callable[[Sequence[Gap], int], str]


def self_test(sessions: sessionmaker[Session], now: datetime, wording: FailureWording,
              hours: int = SELF_TEST_HOURS) -> int:
    """The tick's duty: text the managers when the next ``hours`` hold a gap; return how many
    gaps were alerted (0 when all is well or it was not this process's turn)."""
    with sessions.begin() as session:
        if not claim_duty(session, SELF_TEST_DUTY, now, SELF_TEST_EVERY):
            return 0
        end = now + timedelta(hours=hours)
        gaps, _ = find_gaps(session, now, end)
        return tell_managers(session, gaps, now, end, lambda new: wording(new, hours),
                             "selftest.failed", SELF_TEST_AGAIN_AFTER,
                             told_by=("coverage.alerted",))
