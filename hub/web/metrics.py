"""``/metrics`` (Prometheus text) for the scrapers the settings name, and the webhooks'
latency histogram.

Two kinds of series. Facts in the database (pages, time to acknowledgement, overdue timers,
refused webhooks) are read at each scrape (:mod:`hub.web.metrics_db`): every worker and host
answers the same. Webhook latency exists only in the process that served the request: with
several gunicorn workers, set ``PROMETHEUS_MULTIPROC_DIR`` (prometheus-client's multiprocess
mode) and each worker writes its observations to a file there, which any worker's scrape
adds up. Labels are path templates and status codes, never anything a request carried.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import time
from collections.abc import Iterator

from flask import Blueprint, Flask, Response, abort, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from hub.models import utcnow
from hub.web.metrics_db import DatabaseMetrics
from messages import runtime

bp = Blueprint("metrics", __name__)

# This process's own series (collected from here unless multiprocess mode reads the files).
_LOCAL = CollectorRegistry()
WEBHOOK_SECONDS = Histogram(
    "hub_webhook_seconds", "Time to answer a Twilio webhook, by path template and status.",
    ["path", "code"], registry=_LOCAL,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0))
# Headers a proxy adds to what it forwards.
_FORWARDED = ("Forwarded", "X-Forwarded-For", "X-Real-IP")


class _ThisProcess(Collector):
    def collect(self) -> Iterator[Metric]:
        yield from _LOCAL.collect()


def _started() -> None:
    if request.path.startswith("/twilio/"):
        g.hub_started = time.perf_counter()


def _observed(response: Response) -> Response:
    started = g.pop("hub_started", None)
    if started is not None:
        rule = request.url_rule.rule if request.url_rule is not None else "/twilio/(unknown)"
        WEBHOOK_SECONDS.labels(rule, str(response.status_code)).observe(
            time.perf_counter() - started)
    return response


def init_app(app: Flask) -> None:
    """Register ``/metrics`` and time every webhook."""
    app.register_blueprint(bp)
    app.before_request(_started)
    app.after_request(_observed)


def _may_scrape() -> bool:
    settings = runtime.current().settings
    token = settings.metrics_token
    if token and hmac.compare_digest(request.headers.get("Authorization", "").encode(),
                                     f"Bearer {token}".encode()):
        return True
    # Forwarded by a proxy the hub does not trust (HUB_TRUSTED_PROXIES): the peer's address
    # is the proxy's, not the scraper's. From a trusted one it is already the scraper's.
    vouched = "werkzeug.proxy_fix.orig" in request.environ
    if (not vouched and any(name in request.headers for name in _FORWARDED)) \
            or not request.remote_addr:
        return False
    try:
        address = ipaddress.ip_address(request.remote_addr)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in settings.metrics_allow)


@bp.get("/metrics")
def metrics() -> Response:
    """Prometheus text, for the addresses in HUB_METRICS_ALLOW or the HUB_METRICS_TOKEN."""
    if not _may_scrape():
        abort(403, description="/metrics answers the addresses in HUB_METRICS_ALLOW "
                               "(default: this host) or a bearer token (HUB_METRICS_TOKEN)")
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)
    else:
        registry.register(_ThisProcess())
    registry.register(DatabaseMetrics(runtime.current().session, utcnow()))
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST,
                    headers={"Cache-Control": "no-store"})
