"""The webhook benchmark's options and the shapes of the hub it runs (bench/webhook_bench.py)."""

from __future__ import annotations

import argparse


def parse_args(argv: list[str] | None, description: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--requests", type=int, default=2000, help="webhooks per load phase")
    parser.add_argument("--concurrency", type=int, default=8, help="client threads")
    parser.add_argument("--shape", choices=tuple(SHAPES), default=None,
                        help="both (the default): the embedded default (SQLite, the engine "
                             "inside the web workers) and the production shape (PostgreSQL, a "
                             "separate `hub scheduler`), each paging during the load and each "
                             "against the bare endpoint; or one of them. --db, --engine or "
                             "--engine-during-load given alone choose a shape of their own "
                             "(default postgresql, separate, pause)")
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default=None,
                        help="the production database or the embedded one")
    parser.add_argument("--warmup", type=int, default=50, help="uncounted webhooks first")
    parser.add_argument("--page-samples", type=int, default=300,
                        help="webhooks sent one at a time for webhook -> page")
    parser.add_argument("--gap-ms", type=float, default=20.0, help="pause between those")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=4,
                        help="gunicorn --threads per worker, for both servers alike (above 1: "
                             "the gthread worker, as the README's production command runs; "
                             "1: the sync worker)")
    parser.add_argument("--connections", choices=("per-webhook", "reused"),
                        default="per-webhook",
                        help="per-webhook: each webhook on a new connection, as Twilio sends "
                             "them (its documented connect timeout applies to every request); "
                             "reused: each client thread keeps one connection alive")
    parser.add_argument("--engine", choices=("inline", "separate"), default=None,
                        help="HUB_ENGINE: web workers also route and page (inline), or only take "
                             "contacts in while a `hub scheduler` process pages")
    parser.add_argument("--engine-nice", type=int, default=0,
                        help="niceness of the separate scheduler process")
    parser.add_argument("--engine-during-load", choices=("run", "pause"), default=None,
                        help="pause: the separate engine is stopped (SIGSTOP) while the load "
                             "runs and continued after, as if it had cores or a host of its own: "
                             "the web tier is measured alone, the pages then go out from the "
                             "backlog")
    parser.add_argument("--sms-limit", choices=("shipped", "off"), default="shipped",
                        help="shipped: the policy as shipped (5 SMS per person in 15 minutes, "
                             "one call a minute; pages held and bundled), each contact timed "
                             "until the log says it was routed and paged; off: SMS limit "
                             "lifted, each contact's own page SMS timed at the fake Twilio")
    parser.add_argument("--profile", choices=("cpu", "wall"),
                        help="py-spy the hub workers (and the separate engine) during the load "
                             "(raw stacks in results/); it takes CPU from the servers, so the "
                             "figures drop")
    return parser.parse_args(argv)


# (db, engine, engine during the load) of each shape the table names
SHAPES = {"embedded": ("sqlite", "inline", "run"), "production": ("postgresql", "separate", "run"),
          "both": None}
CUSTOM_DEFAULTS = ("postgresql", "separate", "pause")


def shapes_of(args: argparse.Namespace) -> list[argparse.Namespace]:
    """The runs asked for: each a copy of ``args`` with its db, engine and engine's state."""
    given = (args.db, args.engine, args.engine_during_load)
    if args.shape is None and any(given):
        chosen = [tuple(g or d for g, d in zip(given, CUSTOM_DEFAULTS, strict=True))]
    elif args.shape in (None, "both"):
        chosen = [SHAPES["embedded"], SHAPES["production"]]
    else:
        chosen = [SHAPES[args.shape]]
    return [argparse.Namespace(**{**vars(args), "db": db, "engine": engine,
                                  "engine_during_load": during})
            for db, engine, during in chosen]
