"""The engine's tick: take in this host's spool, release live calls nobody heard from, page
for received contacts, fire due escalation timers, page about transition tasks near their
deadline, send outbound, fetch MMS photos from Twilio, queue and send outreach (paced, after
the pages), alert the managers about coverage gaps, run the self-test, checkpoint the log's
head outside the database, summarise refused webhooks, and leave a heartbeat for ``/readyz``.

Safe in every process at once (each row is claimed in the database). APScheduler only wakes it
once a second; it keeps no jobs of ours in any store.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from datetime import datetime
from functools import partial

from apscheduler.schedulers.background import BackgroundScheduler

from hub import heartbeat, log_anchor, outreach, refusals
from hub.models import utcnow
from messages import paced_send, texts
from messages.dispatch import dispatch_due
from messages.links import Links
from messages.media_fetch import fetch_due
from messages.outreach_texts import OutreachTexts
from messages.page_texts import PageTexts
from messages.runtime import Runtime
from messages.spool_intake import take_in as take_in_spooled
from routing.coverage import alert_managers
from routing.intake import process_received
from routing.live_call import release_stale as release_stale_calls
from routing.self_test import self_test
from routing.timers import run_due
from routing.transition_pages import page_due as page_transitions

log = logging.getLogger(__name__)


def tick(rt: Runtime, now: datetime | None = None) -> dict[str, int]:
    """One pass of every background duty; returns what each did (for tests and logs).

    Each duty is its own failure boundary: one that raises is logged and counted under
    ``failed`` and the others still run (a bad row inside a duty is set aside by the duty
    itself, see :mod:`hub.quarantine`)."""
    now = now or utcnow()
    pages = PageTexts(Links(rt.settings.public_url))
    duties: dict[str, Callable[[], int]] = {
        # first: what this host kept on disk while the database was down, in order of arrival
        "kept": lambda: take_in_spooled(rt),
        # live calls nobody heard from (a lost callback, a crashed worker): paged like a text
        "calls_released": lambda: release_stale_calls(rt.sessions, now),
        "processed": lambda: process_received(rt.sessions, rt.policy, pages, now),
        "fired": lambda: run_due(rt.sessions, rt.policy, pages, now),
        # transition tasks still open near their deadline: paged like a contact
        "transitions_paged": lambda: page_transitions(rt.sessions, rt.policy, pages, now),
        "sent": lambda: dispatch_due(rt.sessions, rt.transport, pages, now,
                                     sms_limit=rt.policy.sms_limit,
                                     rounds_every=rt.policy.rounds_every()),
        # photos of MMS kept with their contacts: fetched, stored encrypted, deleted at Twilio
        "media": lambda: fetch_due(rt, now),
        # plans' occurrences and reminders due: queued behind the pages just sent
        "outreach_queued": lambda: outreach.run_due(
            rt.sessions, OutreachTexts(rt.settings.practice_name, rt.settings.practice_number),
            outreach.Clock(rt.settings.tz, rt.settings.quiet_hours), now,
            limit=outreach.batch_for(rt.settings.outbound_per_second)),
        # the next second's outreach, each at its slot (HUB_OUTBOUND_PER_SECOND)
        "outreach_sent": lambda: paced_send.send_due(rt.sessions, rt.transport, pages, now,
                                                     rt.settings.outbound_per_second),
        # at most once an hour, in one process: text the managers about coverage gaps
        "coverage_alerts": lambda: alert_managers(
            rt.sessions, now, partial(texts.coverage_alert, tz=rt.settings.tz)),
        # every few minutes, when the head has moved (otherwise one stat of a file)
        "checkpoints": lambda: log_anchor.write_if_due(
            rt.sessions, rt.settings.log_checkpoint_dir, rt.settings.log_checkpoint_minutes,
            now, rt.settings.log_checkpoint_syslog),
        # every 15 minutes, in one process: is someone reachable on call for the next hours?
        "self_test_alerts": lambda: self_test(
            rt.sessions, now, partial(texts.self_test_alert, tz=rt.settings.tz)),
        # at most once a minute, in one process: how many unsigned webhooks were refused
        "refusals_logged": lambda: _summarise_refusals(rt, now),
    }
    done = {"failed": 0}
    for name, duty in duties.items():
        try:
            done[name] = duty()
        except Exception as exc:
            done[name], done["failed"] = 0, done["failed"] + 1
            log.error("engine duty %s failed (%s); the other duties go on, the next tick "
                      "retries", name, type(exc).__name__)
    if not done["failed"]:
        # The wall clock's now (/readyz compares with it). A duty failing tick after tick
        # stops the heartbeat: /readyz then says so within seconds, however green the rest.
        heartbeat.beat(rt.engine)
    return done


def _summarise_refusals(rt: Runtime, now: datetime) -> int:
    with rt.session() as session:
        return refusals.summarise(session, now)


def _safe_tick(rt: Runtime, max_rounds: int = 1) -> None:
    try:
        for _ in range(max_rounds):  # a backlog drains without waiting for the next tick
            done = tick(rt)
            if not any(count for name, count in done.items() if name != "failed"):
                break
    except Exception:
        log.error("scheduler tick failed (%s); the next tick retries",
                  type(sys.exc_info()[1]).__name__)


def start(rt: Runtime, interval_seconds: float = 1.0, max_rounds: int = 1) -> BackgroundScheduler:
    """Start the tick (once a second in web processes) in a daemon thread of this process."""
    scheduler = BackgroundScheduler(daemon=True)
    scheduler.add_job(_safe_tick, "interval", args=[rt, max_rounds], seconds=interval_seconds,
                      max_instances=1, coalesce=True, id="hub-tick")
    scheduler.start()
    return scheduler
