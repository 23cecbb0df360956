"""The webhook benchmark's goals and its printed report (``bench/webhook_bench.py``)."""

from __future__ import annotations

GOALS = (  # (key, text, test)
    ("throughput_ratio", "hub/bare throughput >= 1/3", lambda r: r["ratio"] >= 1 / 3),
    ("hub_p99", "hub p99 latency < 50 ms", lambda r: r["hub"]["p99_ms"] < 50),
    ("page_p99", "webhook -> routed and paged p99 < 1000 ms (one at a time)",
     lambda r: r["page_sequential"]["p99_ms"] < 1000),
)


def fmt(value: float | None, width: int = 9, digits: int = 1) -> str:
    return f"{'-':>{width}}" if value is None else f"{value:>{width}.{digits}f}"


def report(r: dict) -> None:  # type: ignore[type-arg]
    meta = r["meta"]
    print(f"\nwebhook benchmark: db={meta['db']}, {meta['requests']} requests, "
          f"concurrency {meta['concurrency']}, gunicorn -w {meta['workers']} "
          f"({'gthread --threads ' + str(meta['threads']) if meta['threads'] > 1 else 'sync'}), "
          f"HUB_ENGINE={meta['engine']}"
          f"{' (paused during the load)' if meta['engine_during_load'] == 'pause' else ''}, "
          f"connections {meta['connections']}, "
          f"{meta['cpus']} CPUs shared with the load generator")
    print(f"{'':22}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}"
          f"{'errors':>8}{'srv CPU s':>11}{'cli CPU s':>11}{'CPUs busy':>11}")
    for key, label in (("bare", "bare Flask"), ("hub", "hub /twilio/sms")):
        s = r[key]
        print(f"{label:22}{fmt(s['throughput_rps'])}{fmt(s['p50_ms'])}{fmt(s['p95_ms'])}"
              f"{fmt(s['p99_ms'])}{fmt(s['max_ms'])}{s['errors']:>8}"
              f"{fmt(s['server_cpu_s'], 11, 2)}{fmt(s['client_cpu_s'], 11, 2)}"
              f"{fmt(s['machine_busy'], 11, 2)}")
    if "engine_cpu_s_during_load" in r["hub"]:
        print("separate engine CPU during the hub's load: "
              f"{r['hub']['engine_cpu_s_during_load']:.2f} s; from its start to the last page "
              f"{r['hub']['engine_cpu_s_load_to_last_page']:.2f} s")
    print(f"hub/bare throughput ratio: {r['ratio']:.3f}  "
          f"(server CPU per request: bare {r['bare']['server_cpu_s'] / meta['requests'] * 1000:.2f}"
          f" ms, hub {r['hub']['server_cpu_s'] / meta['requests'] * 1000:.2f} ms)")
    seq, load = r["page_sequential"], r["pages_under_load"]
    routed = meta.get("sms_limit") == "shipped"
    print("\n" + ("webhook -> routed, paged or held per the limits (the log's time)" if routed
                  else "webhook -> its page SMS at the fake Twilio"))
    print(f"{'':22}{'n':>6}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    print(f"{'one at a time':22}{seq['count']:>6}{fmt(seq['p50_ms'])}{fmt(seq['p95_ms'])}"
          f"{fmt(seq['p99_ms'])}{fmt(seq['max_ms'])}   (of {seq['sent']} sent; webhook itself "
          f"p50 {fmt(seq['webhook']['p50_ms'], 0)} ms, p99 {fmt(seq['webhook']['p99_ms'], 0)} ms)")
    print(f"{'under load':22}{load['count']:>6}{fmt(load['p50_ms'])}{fmt(load['p95_ms'])}"
          f"{fmt(load['p99_ms'])}{fmt(load['max_ms'])}")
    print(f"{'contacts routed' if routed else 'pages'} under load: {load['received']} of "
          f"{load['expected']}, the last {fmt(load['last_after_load_end_ms'], 0)} ms after the "
          f"load ended; {load['repeated_pages']} repeated; contacts stored "
          f"{r['contacts_stored']}")
    log = r["server_log"]
    print(f"hub log: {log['tracebacks']} tracebacks, {log['errors']} ERROR lines, "
          f"{log['database_locked']} 'database is locked'")
    print("\ngoals:")
    for goal in r["goals"]:
        print(f"  {'PASS' if goal['pass'] else 'FAIL'}  {goal['goal']}  ({goal['value']})")


def judge(r: dict) -> list[dict]:  # type: ignore[type-arg]
    """Each goal, whether the run met it, and the figure it was judged on."""
    values = {"throughput_ratio": f"{r['ratio']:.3f}",
              "hub_p99": f"{fmt(r['hub']['p99_ms'], 0)} ms",
              "page_p99": f"{fmt(r['page_sequential']['p99_ms'], 0)} ms"}
    goals = []
    for key, text, test in GOALS:
        try:
            passed = bool(test(r))
        except TypeError:  # a figure is missing (nothing succeeded)
            passed = False
        goals.append({"goal": text, "pass": passed, "value": values[key]})
    return goals
