"""The metrics that are facts in the database, read at each scrape: the same on every worker
and host, whichever one Prometheus asks (pages sent and failed, time to acknowledgement,
overdue timers, refused webhooks, the engine's last tick)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from sqlalchemy import ColumnElement, Float, case, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from hub import readiness, refusals
from hub.heartbeat import last_beat
from hub.models import Contact, LogHead, Outbound, RowFailure, Timer

# Seconds from a contact's arrival to its acknowledgement.
ACK_BUCKETS = (30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 7200.0)
PAGE_KINDS = ("page", "round", "bundle")  # what staff receive: one page, or several in one SMS


class _SecondsBetween(FunctionElement[float]):
    """``end - start`` in seconds, on SQLite and PostgreSQL."""

    type = Float()
    inherit_cache = True


@compiles(_SecondsBetween, "postgresql")
def _pg_seconds(element: Any, compiler: Any, **kw: Any) -> str:
    end, start = list(element.clauses)
    return (f"EXTRACT(EPOCH FROM ({compiler.process(end, **kw)} - "
            f"{compiler.process(start, **kw)}))")


@compiles(_SecondsBetween, "sqlite")
def _sqlite_seconds(element: Any, compiler: Any, **kw: Any) -> str:
    end, start = list(element.clauses)
    return (f"((julianday({compiler.process(end, **kw)}) - "
            f"julianday({compiler.process(start, **kw)})) * 86400.0)")


def _ack_histogram(session: Session) -> HistogramMetricFamily:
    took: ColumnElement[float] = _SecondsBetween(Contact.acknowledged_at, Contact.received_at)
    row = session.execute(select(
        func.count(Contact.id), func.coalesce(func.sum(took), 0.0),
        *[func.coalesce(func.sum(case((took <= bound, 1), else_=0)), 0) for bound in ACK_BUCKETS],
    ).where(Contact.acknowledged_at.is_not(None))).one()
    count, total, below = int(row[0]), float(row[1]), [int(n) for n in row[2:]]
    family = HistogramMetricFamily(
        "hub_time_to_ack_seconds", "Seconds from a contact's arrival to its acknowledgement.")
    family.add_metric([], [*[(str(b), n) for b, n in zip(ACK_BUCKETS, below, strict=True)],
                           ("+Inf", count)], total)
    return family


def _pages(session: Session) -> Iterator[Metric]:
    sent = CounterMetricFamily("hub_pages_sent", "Pages to staff accepted by Twilio.",
                               labels=["channel"])
    failed = CounterMetricFamily("hub_pages_failed",
                                 "Pages to staff that failed or were undelivered.",
                                 labels=["channel"])
    outcome = case((Outbound.status.in_(("failed", "undelivered")), "failed"),
                   (Outbound.sent_at.is_not(None), "sent"), else_="open")
    counts = {("sent", "sms"): 0, ("sent", "call"): 0, ("failed", "sms"): 0, ("failed", "call"): 0}
    for state, channel, n in session.execute(
            select(outcome, Outbound.channel, func.count()).where(Outbound.kind.in_(PAGE_KINDS))
            .group_by(outcome, Outbound.channel)):
        if state != "open":
            counts[(state, channel)] = counts.get((state, channel), 0) + n
    for (state, channel), n in sorted(counts.items()):
        (sent if state == "sent" else failed).add_metric([channel], n)
    yield sent
    yield failed


def _gauge(name: str, doc: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, value=value)


class DatabaseMetrics(Collector):
    """Reads every database-backed series in one session per scrape."""

    def __init__(self, session: Callable[[], AbstractContextManager[Session]],
                 now: datetime) -> None:
        self.session, self.now = session, now

    def collect(self) -> Iterator[Metric]:
        with self.session() as db:
            for name, column, doc in (
                    ("hub_contacts", Contact.status, "Contacts by state."),
                    ("hub_outbound", Outbound.status, "Outbound messages and calls by state.")):
                family = GaugeMetricFamily(name, doc, labels=["status"])
                for state, n in db.execute(select(column, func.count()).group_by(column)):
                    family.add_metric([state], n)
                yield family
            yield from _pages(db)
            yield _ack_histogram(db)
            pending = db.scalar(select(func.count(Timer.id)).where(Timer.fired_at.is_(None)))
            yield _gauge("hub_timers_pending", "Escalation timers not yet fired.", pending or 0)
            yield _gauge("hub_timers_overdue", "Timers unfired more than a minute after due.",
                         readiness.overdue_timers(db, self.now))
            yield _gauge("hub_contacts_waiting_intake",
                         "Contacts not routed more than a minute after arrival.",
                         readiness.waiting_intake(db, self.now))
            yield CounterMetricFamily("hub_webhooks_refused",
                                      "Webhooks refused (bad or missing Twilio signature).",
                                      value=refusals.total(db))
            family = GaugeMetricFamily("hub_quarantined_rows",
                                       "Rows the engine set aside after failing on them.",
                                       labels=["kind"])
            set_aside = dict(db.execute(select(RowFailure.kind, func.count())
                                        .where(RowFailure.quarantined_at.is_not(None))
                                        .group_by(RowFailure.kind)).all())
            for kind in ("contact", "timer", "outbound"):
                family.add_metric([kind], set_aside.get(kind, 0))
            yield family
            head = db.get(LogHead, 1)
            yield _gauge("hub_log_entries", "Entries in the contact log.", head.seq if head else 0)
            beat = last_beat(db)
            if beat is not None:
                yield _gauge("hub_engine_last_tick_age_seconds",
                             "Seconds since any engine process finished a tick.",
                             (self.now - beat).total_seconds())
