"""The storm benchmark's checks, goals and printed report (``bench/storm_bench.py``).

Read after the storm, from the hub's database (only columns kept in clear: ids, Sids,
states, times) and from the fake Twilio API's record of what reached it.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

from sqlalchemy import func, select
from webhook_report import fmt

WINDOW_GOAL_MS = 100.0


def policy(path: Path):  # type: ignore[no-untyped-def]
    from routing.policy import load_policy

    return load_policy(path)


def _busy(conn) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    """(contacts not yet routed, outbound rows due or being sent, timers due)."""
    from hub.models import Contact, Outbound, Timer, utcnow

    now = utcnow()
    received = conn.scalar(select(func.count()).select_from(Contact)
                           .where(Contact.status == "received"))
    due = conn.scalar(select(func.count()).select_from(Outbound).where(
        (Outbound.status == "sending")
        | ((Outbound.status == "pending") & (Outbound.next_attempt_at <= now))))
    timers = conn.scalar(select(func.count()).select_from(Timer)
                         .where(Timer.fired_at.is_(None), Timer.due_at <= now))
    return received, due, timers


def settle(database_url: str, timeout: float, quiet: float = 5.0) -> float | None:
    """Wait until nothing is left to route, send or fire for ``quiet`` seconds; return how
    long that took (None: still busy after ``timeout``)."""
    from sqlalchemy import create_engine

    engine = create_engine(database_url)
    began, calm_since = time.monotonic(), None
    try:
        while time.monotonic() - began < timeout:
            with engine.connect() as conn:
                busy = any(_busy(conn))
            now = time.monotonic()
            if busy:
                calm_since = None
            elif calm_since is None:
                calm_since = now
            elif now - calm_since >= quiet:
                return calm_since - began
            time.sleep(0.25)
        return None
    finally:
        engine.dispose()


def max_in_window(times: list[float], window: float) -> int:
    """The most of ``times`` (seconds) inside any window of that length."""
    ordered, most, first = sorted(times), 0, 0
    for last, at in enumerate(ordered):
        while at - ordered[first] >= window:
            first += 1
        most = max(most, last - first + 1)
    return most


def _read(database_url: str):  # type: ignore[no-untyped-def]
    from sqlalchemy import create_engine

    from hub.models import Contact, Outbound, Page, Staff, Timer

    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return (
                conn.execute(select(Contact.id, Contact.provider_sid, Contact.status,
                                    Contact.urgency, Contact.patient_id)).all(),
                {row.contact_id for row in conn.execute(select(Page.contact_id))},
                conn.execute(select(Outbound.id, Outbound.kind, Outbound.channel,
                                    Outbound.status, Outbound.staff_id, Outbound.bundle_id,
                                    Outbound.next_attempt_at)).all(),
                {row.contact_id for row in conn.execute(
                    select(Timer.contact_id).where(Timer.fired_at.is_(None)))},
                dict(conn.execute(select(Staff.id, Staff.email)).all()))
    finally:
        engine.dispose()


def _once(contacts, sids: set[str]) -> dict[str, object]:  # type: ignore[no-untyped-def]
    recorded = [c.provider_sid for c in contacts]
    found = set(recorded)
    return {"sids_sent": len(sids), "contacts": len(recorded), "distinct_sids": len(found),
            "missing": len(sids - found), "unexpected": len(found - sids),
            "matched_to_a_patient": sum(c.patient_id is not None for c in contacts),
            "urgent": sum(c.urgency == "urgent" for c in contacts)}


def _routed(contacts, paged, outbound, timers) -> dict[str, object]:  # type: ignore[no-untyped-def]
    from hub.models import utcnow

    now = utcnow()
    by_id = {o.id: o for o in outbound}

    def state(o) -> str:  # type: ignore[no-untyped-def]
        if o.status == "pending":
            return "held" if o.next_attempt_at > now else "due"
        return str(o.status)

    pages = [o for o in outbound if o.kind in ("page", "round")]  # round: a last-resort call
    stuck = [o for o in pages if state(o) not in ("sent", "bundled", "held", "cancelled")]
    uncarried = [o for o in pages if o.status == "bundled"
                 and getattr(by_id.get(o.bundle_id), "status", None) != "sent"]
    return {
        "contact_states": dict(Counter(c.status for c in contacts)),
        "paging_without_pages": sum(c.status == "paging" and c.id not in paged
                                    for c in contacts),
        "queued_without_timer": sum(c.status == "queued" and c.id not in timers
                                    for c in contacts),
        "page_rows": dict(Counter(f"{o.channel} {state(o)}" for o in pages)),
        "pages_stuck": len(stuck), "bundled_not_carried": len(uncarried),
    }


def _limits(outbound, emails: dict[int, str | None], fake, limit) -> dict[str, object]:  # type: ignore[no-untyped-def]
    from hub.models import utcnow
    from tests.practice import BEN, MAYA, NORA

    now = utcnow()
    numbers = {"nora@clinic.test": NORA, "ben@clinic.test": BEN, "maya@clinic.test": MAYA}
    window = limit.window.total_seconds()
    per_staff = {}
    for staff_id, email in sorted(emails.items()):
        number = numbers.get(email or "")
        if number is None:
            continue
        mine = [o for o in outbound if o.staff_id == staff_id]
        held = [(o.next_attempt_at - now).total_seconds() for o in mine
                if o.kind in ("page", "round") and o.status == "pending"]
        reached = fake.sent_to(number)
        sms = [r.at for r in reached if r.resource == "Messages"]
        per_staff[email] = {
            "sms_received": len(sms), "most_sms_in_window": max_in_window(sms, window),
            "calls_received": sum(r.resource == "Calls" for r in reached),
            "sms_sent_per_database": sum(o.channel == "sms" and o.status == "sent"
                                         for o in mine),
            "sms_pages": sum(o.kind == "page" and o.channel == "sms" for o in mine),
            "bundles_sent": sum(o.kind == "bundle" and o.status == "sent" for o in mine),
            "pages_bundled": sum(o.kind == "page" and o.status == "bundled" for o in mine),
            "round_calls_bundled": sum(o.kind == "round" and o.status == "bundled"
                                       for o in mine),
            "pages_held": len(held),
            # When the held pages go (as one bundle, the window's room allowing): seconds on.
            "held_due_in_s": [min(held), max(held)] if held else None,
        }
    return {"limit": limit.count, "window_minutes": window / 60, "per_staff": per_staff}


def check(database_url: str, fake, policy, sids: set[str]) -> dict[str, object]:  # type: ignore[no-untyped-def]
    contacts, paged, outbound, timers, emails = _read(database_url)
    return {"once": _once(contacts, sids),
            "routed": _routed(contacts, paged, outbound, timers),
            "limits": _limits(outbound, emails, fake, policy.sms_limit)}


def _windows_ok(r: dict) -> bool:  # type: ignore[type-arg]
    return all(w["p99_ms"] is not None and w["p99_ms"] < WINDOW_GOAL_MS
               for w in r["load"]["windows"])


def _once_ok(r: dict) -> bool:  # type: ignore[type-arg]
    once = r["checks"]["once"]
    return (once["contacts"] == once["distinct_sids"] == once["sids_sent"]
            and once["missing"] == once["unexpected"] == 0)


def _routed_ok(r: dict) -> bool:  # type: ignore[type-arg]
    routed = r["checks"]["routed"]
    return (r["settle_s"] is not None and not routed["contact_states"].get("received")
            and set(routed["contact_states"]) <= {"paging", "queued"}
            and routed["paging_without_pages"] == routed["queued_without_timer"] == 0
            and routed["pages_stuck"] == routed["bundled_not_carried"] == 0)


def _limits_ok(r: dict) -> bool:  # type: ignore[type-arg]
    limits = r["checks"]["limits"]
    return all(s["most_sms_in_window"] <= limits["limit"]
               and s["sms_received"] == s["sms_sent_per_database"]
               for s in limits["per_staff"].values())


MEMORY_GROWTH_PCT = 10.0  # the soak's bound: first sample under load to the last


def judge(r: dict) -> list[dict]:  # type: ignore[type-arg]
    """Each goal, whether the run met it, and the figure it was judged on."""
    if "checks" not in r:
        return [{"goal": "the storm ran to its checks", "pass": False, "value": "crashed"}]
    worst = max((w["p99_ms"] or float("inf")) for w in r["load"]["windows"])
    once, routed = r["checks"]["once"], r["checks"]["routed"]
    limits = r["checks"]["limits"]
    memory = r.get("memory", {})
    most = {email.split("@")[0]: s["most_sms_in_window"]
            for email, s in limits["per_staff"].items()}
    return [
        {"goal": f"webhook p99 < {WINDOW_GOAL_MS:.0f} ms in every "
                 f"{r['meta'].get('window_s', 10):g} s window",
         "pass": _windows_ok(r), "value": f"worst window p99 {worst:.1f} ms"},
        {"goal": "every webhook answered 200, retries too",
         "pass": r["load"]["overall"]["errors"] == 0,
         "value": f"{r['load']['overall']['errors']} errors"},
        {"goal": "each MessageSid recorded as one contact", "pass": _once_ok(r),
         "value": f"{once['contacts']} contacts, {once['distinct_sids']} distinct Sids of "
                  f"{once['sids_sent']} sent"},
        {"goal": "every contact routed (paged: sent, bundled, held or cancelled; or queued)",
         "pass": _routed_ok(r),
         "value": f"{routed['contact_states']}, settled in "
                  f"{'-' if r['settle_s'] is None else format(r['settle_s'], '.1f')} s"},
        {"goal": f"at most {limits['limit']} SMS per staff number in any "
                 f"{limits['window_minutes']:.0f} min, each once",
         "pass": _limits_ok(r), "value": f"most in a window: {most}"},
        {"goal": f"resident memory flat after the first minute (growth under "
                 f"{MEMORY_GROWTH_PCT:.0f}%)",
         "pass": all(m["growth_pct"] < MEMORY_GROWTH_PCT for m in memory.values()),
         "value": ", ".join(f"{name} {m['first_mib']:.0f} -> {m['last_mib']:.0f} MiB "
                            f"({m['growth_pct']:+.1f}%)" for name, m in memory.items())},
    ]


def title(meta: dict) -> str:  # type: ignore[type-arg]
    """What ran, in one line."""
    return (f"storm benchmark: db={meta['db']}, {meta['texts']} texts at {meta['rate']:g}/s "
            f"for {meta['seconds']:g} s from {meta['senders']} numbers (after "
            f"{meta['warmup']} untimed), each delivered twice (the retry after up to "
            f"{meta['retry_delay_s']:g} s); gunicorn -w {meta['workers']} --threads "
            f"{meta['threads']}, HUB_ENGINE=separate with one hub scheduler paging; "
            f"{meta['cpus']} CPUs shared with the load generator")


def report(r: dict) -> None:  # type: ignore[type-arg]
    print("\n" + title(r["meta"]))
    if "load" in r:
        print(f"{'window':14}{'requests':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
              f"{'max ms':>9}{'errors':>8}")
        rows = [(f"{w['from_s']:g}-{w['to_s']:g} s", w) for w in r["load"]["windows"]]
        overall = r["load"]["overall"]
        for label, w in [*rows, ("overall", {**overall, "requests": overall["requests"]}),
                         ("retries only", {**r["load"]["retries"], "requests":
                                           r["load"]["retries"]["count"]})]:
            print(f"{label:14}{w['requests']:>9}{fmt(w['p50_ms'])}{fmt(w['p95_ms'])}"
                  f"{fmt(w['p99_ms'])}{fmt(w['max_ms'])}{w.get('errors', 0):>8}")
        lag = r["load"]["client_lag"]
        print(f"client: sends started late by p99 {fmt(lag['p99_ms'], 0)} ms, max "
              f"{fmt(lag['max_ms'], 0)} ms (open loop: late starts mean a busy client)")
    if "checks" in r:
        checks = r["checks"]
        print(f"contacts: {checks['once']}")
        print(f"routing: {checks['routed']}")
        print(f"\n{'staff':8}{'SMS':>6}{'most/win':>9}{'calls':>7}{'SMS pages':>10}"
              f"{'bundles':>8}{'bundled':>8}{'held':>6}  held pages due in")
        for email, s in checks["limits"]["per_staff"].items():
            print(f"{email.split('@')[0]:8}{s['sms_received']:>6}{s['most_sms_in_window']:>9}"
                  f"{s['calls_received']:>7}{s['sms_pages']:>10}{s['bundles_sent']:>8}"
                  f"{s['pages_bundled']:>8}{s['pages_held']:>6}  "
                  + ("-" if s["held_due_in_s"] is None else
                     "{:.0f}-{:.0f} s".format(*s["held_due_in_s"])))
    log = r.get("server_log", {})
    print(f"hub log: {log.get('tracebacks')} tracebacks, {log.get('database_locked')} "
          "'database is locked'")
    print("\ngoals:")
    for goal in r["goals"]:
        print(f"  {'PASS' if goal['pass'] else 'FAIL'}  {goal['goal']}  ({goal['value']})")

