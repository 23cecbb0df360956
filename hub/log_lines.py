"""Where the hub's own log lines go: stderr, one line each, UTC times, at ``HUB_LOG_LEVEL``.

Under gunicorn or systemd that is the journal (``journalctl -u careline-web``); gunicorn's
own access log stays gunicorn's. APScheduler's two INFO lines per tick are silenced: the
engine's heartbeat is not news. A process that configured logging itself (a test runner,
``python app.py``) keeps its handlers."""

from __future__ import annotations

import logging
import sys
import time

FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
OURS = ("hub", "messages", "routing")  # the packages whose loggers are the hub's


def configure(level: str, events: bool = True) -> None:
    """Give the hub's loggers a stderr handler (once per process) and quiet APScheduler.

    ``events=False``: no line per contact-log event (a one-shot command's output is its own;
    ``hub scheduler`` and the web processes keep them)."""
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("hub.events").setLevel(logging.NOTSET if events else logging.WARNING)
    handler = logging.StreamHandler(sys.stderr)
    formatter = logging.Formatter(FORMAT, datefmt="%Y-%m-%dT%H:%M:%SZ")
    formatter.converter = time.gmtime
    handler.setFormatter(formatter)
    configured_elsewhere = bool(logging.getLogger().handlers)
    for name in OURS:
        logger = logging.getLogger(name)
        logger.setLevel(level)
        if not configured_elsewhere and not logger.handlers:
            logger.addHandler(handler)
