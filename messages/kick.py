"""Send newly queued outbound rows right after the transaction that queued them commits.

The scheduler tick would send them within a second anyway; this saves that second. The pool
only hurries the work along: which process sends a row is decided by the claim in the
database, so a kick lost in a crash or a restart changes nothing.
"""

from __future__ import annotations

import logging
import os
import sys
from concurrent.futures import ThreadPoolExecutor

from hub.models import utcnow
from hub.runtime import Runtime
from messages.dispatch import dispatch_due

log = logging.getLogger(__name__)
_pool: ThreadPoolExecutor | None = None
_pool_pid: int | None = None


def _executor() -> ThreadPoolExecutor:
    global _pool, _pool_pid
    if _pool is None or _pool_pid != os.getpid():  # a forked worker needs threads of its own
        _pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="hub-dispatch")
        _pool_pid = os.getpid()
    return _pool


def _run(rt: Runtime, status_callback: str) -> None:
    try:
        dispatch_due(rt.sessions, rt.transport, status_callback, utcnow())
    except Exception:  # the tick retries; never let a thread die silently
        log.error("dispatch after commit failed (%s); the scheduler tick will retry",
                  type(sys.exc_info()[1]).__name__)


def dispatch_soon(rt: Runtime) -> None:
    """Start sending due outbound rows in the background."""
    _executor().submit(_run, rt, rt.settings.public_url + "/twilio/status")


def drain(timeout: float = 10.0) -> None:
    """Wait for background sends of this process to finish (tests, shutdown)."""
    global _pool
    if _pool is not None and _pool_pid == os.getpid():
        _pool.shutdown(wait=True)
        _pool = None
