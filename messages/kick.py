"""Route, page and send right after a webhook's transaction commits, off the request thread.

The webhook only stores the contact and answers Twilio; this pool then does what the
scheduler tick would do within a second anyway: page for received contacts and send queued
outbound rows. It only hurries the work along: which process pages or sends is decided by row
locks and claims in the database, so a kick lost in a crash or a restart changes nothing.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from hub.models import utcnow
from messages.dispatch import dispatch_due
from messages.links import Links
from messages.page_texts import PageTexts
from messages.runtime import Runtime
from routing.intake import process_received

log = logging.getLogger(__name__)
_pool: ThreadPoolExecutor | None = None
_pool_pid: int | None = None
# A run not yet started covers every commit before it starts, so a burst of webhooks queues
# one run, not one per webhook (each run reads the whole backlog).
_waiting = threading.Lock()
# One run at a time in a process: runs side by side only queue for the same rows and, on
# SQLite, the same writer, while taking the interpreter from the webhooks being answered.
_running = threading.Lock()


MAX_ROUNDS = 50  # a run then leaves any remaining backlog to the next kick or tick
INTAKE_LIMIT = 500  # contacts routed in one round at most


def _executor() -> ThreadPoolExecutor:
    global _pool, _pool_pid, _waiting, _running
    if _pool is None or _pool_pid != os.getpid():  # a forked worker needs threads of its own
        _pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="hub-work")
        _pool_pid = os.getpid()
        _waiting, _running = threading.Lock(), threading.Lock()
    return _pool


def _run(rt: Runtime) -> None:
    with _running:
        _waiting.release()  # from now on a commit queues one more run (this one may miss it)
        _rounds(rt)


def _rounds(rt: Runtime) -> None:
    pages = PageTexts(Links(rt.settings.public_url))
    backlog, first = True, True  # contacts still waiting for intake after the last round
    for _ in range(MAX_ROUNDS):
        # The first round knows a commit queued it: no read to look first.
        paged = _duty("intake", partial(
            process_received, rt.sessions, rt.policy, pages, utcnow(), limit=INTAKE_LIMIT,
            look_first=not first)) if backlog else 0
        sent = _duty("sending", partial(
            dispatch_due, rt.sessions, rt.transport, pages, utcnow(),
            sms_limit=rt.policy.sms_limit, rounds_every=rt.policy.rounds_every(),
            look_first=not (first or paged)))
        # An intake that took less than it could left nobody behind: a contact committed
        # since it began queued a run of its own. Sending goes on while it sends (an SMS
        # refused becomes a call, queued by the send itself).
        backlog, first = paged >= INTAKE_LIMIT, False
        if not backlog and not sent:
            break


def _duty(name: str, run: Callable[[], int]) -> int:
    """One duty, its own failure boundary: sending goes on when intake fails, and back."""
    try:
        return run()
    except Exception:  # the tick retries; never let a thread die silently
        log.error("%s after commit failed (%s); the scheduler tick will retry", name,
                  type(sys.exc_info()[1]).__name__)
        return 0


def work_soon(rt: Runtime) -> None:
    """Start paging for received contacts and sending due outbound rows, in the background.

    Not with ``HUB_ENGINE=separate``: then web processes only take contacts in, and the
    ``hub scheduler`` processes (which poll several times a second) do the rest.
    """
    if rt.settings.engine != "inline":
        return
    pool = _executor()
    if _waiting.acquire(blocking=False):
        try:
            pool.submit(_run, rt)
        except RuntimeError:  # the pool is shutting down (process exit): the tick pages
            _waiting.release()


def soon(work: Callable[[Runtime], object], rt: Runtime) -> None:
    """Run ``work(rt)`` on this process's background threads (a failure is logged)."""
    _executor().submit(_logged, work, rt)


def _logged(work: Callable[[Runtime], object], rt: Runtime) -> None:
    try:
        work(rt)
    except Exception:
        log.error("background %s failed (%s); it runs again later", work.__name__,
                  type(sys.exc_info()[1]).__name__)


def drain(timeout: float = 10.0) -> None:
    """Wait for background sends of this process to finish (tests, shutdown)."""
    global _pool
    if _pool is not None and _pool_pid == os.getpid():
        _pool.shutdown(wait=True)
        _pool = None
