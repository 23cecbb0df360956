"""The hub's Flask application factory, and ``python app.py``: the local, embedded default."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import traceback
from collections.abc import Mapping
from pathlib import Path

from cryptography.fernet import InvalidToken
from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from config.settings import SettingError, load_settings
from hub import attachments, crypto, db, key_check, key_split, log_lines
from hub.triage.classify import TriageConfigError, load_triager
from hub.web.proxies import TrustedProxies
from hub.which_patient import fill_birth_indexes
from messages.runtime import Runtime
from messages.transport import make_transport
from routing.policy import PolicyError, load_policy

INLINE_SWITCH_INTERVAL = 0.0005  # seconds; the engine inside the web workers (HUB_ENGINE=inline)

log = logging.getLogger("hub")


def create_app(test_config: Mapping[str, object] | None = None) -> Flask:
    """Build the app: settings, schema upgrade, cipher, policy, triage, blueprints, scheduler."""
    settings = load_settings(test_config)
    log_lines.configure(settings.log_level)
    try:
        policy = load_policy(settings.escalation_policy, settings.timezone) \
            .with_fallback_number(settings.fallback_number)
    except PolicyError as exc:
        raise SettingError(f"HUB_ESCALATION_POLICY: {exc}") from None
    try:
        triager = load_triager(settings.triage_config)
    except (TriageConfigError, ValueError) as exc:
        raise SettingError(f"HUB_TRIAGE_CONFIG: {exc}") from None
    created = db.upgrade(settings.database_url)
    cipher = crypto.FieldCipher(settings.encryption_keys, settings.index_key)
    crypto.install(cipher)
    attachments.configure(settings.attachment_max_bytes)
    engine = db.make_engine(settings.database_url)
    try:
        with engine.begin() as connection:
            key_check.confirm(connection, cipher)
    except key_check.WrongKeys as wrong:
        engine.dispose()
        raise SettingError(key_check.explain(wrong, settings.key_files)) from None
    with engine.begin() as connection:  # data from before migration 0019: once, keys confirmed
        moved = key_split.split_once(connection, cipher)
    if moved is not None:
        log.warning("keyed hashes moved to the derived index key (HKDF of HUB_INDEX_KEY): %s",
                    ", ".join(f"{name} {count}" for name, count in moved.items()))

    app = Flask(__name__, instance_path=str(settings.instance_dir), static_folder=None)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=512 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
    )
    app.extensions["hub"] = Runtime(
        settings=settings, engine=engine, sessions=db.make_session_factory(engine),
        cipher=cipher, policy=policy, triager=triager, transport=make_transport(settings),
    )
    for note in settings.warnings:
        log.warning(note)
    if created:
        # Said on stderr: a command run against the wrong folder or URL shows it at once.
        log.warning("new database %s (HUB_DATABASE_URL, or HUB_INSTANCE_DIR for SQLite, "
                    "chooses another)", db.shown(settings.database_url))
    with app.extensions["hub"].session() as session:  # patients stored before migration 0015
        fill_birth_indexes(session)

    from hub import web
    from messages import conversations, voice, webhooks

    app.register_blueprint(webhooks.bp)
    app.register_blueprint(voice.bp)
    app.register_blueprint(conversations.bp)
    web.init_app(app, exempt=(webhooks.bp.name, voice.bp.name, conversations.bp.name))
    if settings.trusted_proxies:
        app.wsgi_app = TrustedProxies(app.wsgi_app, settings.trusted_proxies)  # type: ignore[method-assign]
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)

    if settings.scheduler:
        from messages.engine import start as start_engine

        # The engine's threads are busy with the interpreter while paging; a webhook's thread
        # wanting it back after each read or query would wait up to the switch interval (5 ms
        # by default) every time. 0.5 ms lets webhooks through a burst (see Performance).
        sys.setswitchinterval(INLINE_SWITCH_INTERVAL)
        app.extensions["hub.scheduler"] = start_engine(app.extensions["hub"])
    else:  # no tick here to take in this host's spool: a webhook that gets through does
        from messages.spool_intake import after_webhook

        app.after_request(after_webhook)
    return app


def _http_error(error: HTTPException) -> Response:
    """4xx/5xx as one plain line naming what was wrong (never echoing the input), unless the
    code raising it made its own page (the sign-in form's "too many failed sign-ins")."""
    if error.response is not None:
        return error.response  # type: ignore[return-value]
    return Response(f"{error.code} {error.name}: {error.description}\n", status=error.code,
                    mimetype="text/plain")


def _unexpected_error(error: Exception) -> Response:
    # The exception's text may hold patient data: log its type and where it was raised only.
    frames = [f for f in traceback.extract_tb(error.__traceback__)
              if "site-packages" not in f.filename] or traceback.extract_tb(error.__traceback__)
    where = " <- ".join(f"{Path(f.filename).name}:{f.lineno}" for f in reversed(frames[-4:]))
    if isinstance(error, InvalidToken):
        log.error("HUB_ENCRYPTION_KEYS: %s read on %s does not decrypt with any of its keys "
                  "(at %s)", error or "a stored field", request.path, where)
    else:
        log.error("unhandled %s on %s at %s", type(error).__name__, request.path, where)
    return Response("500 Internal Server Error\n", status=500, mimetype="text/plain")


def main(argv: list[str] | None = None) -> int:
    """Serve the hub locally: SQLite, demo practice, outbox, printed URLs."""
    parser = argparse.ArgumentParser(description="Run the care-line hub locally.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    overrides = {}
    if args.host != "127.0.0.1" or args.port != 5000:
        overrides["HUB_PUBLIC_URL"] = os.environ.get(
            "HUB_PUBLIC_URL", f"http://{args.host}:{args.port}")
    try:
        app = create_app(overrides)
    except SettingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    from hub.cli import demo

    rt = app.extensions["hub"]
    seeded = False
    if rt.settings.local_mode:  # the demo's passwords are published: never on a real line
        with rt.session() as session:
            seeded = demo.seed_if_empty(session, rt.settings)
    print(demo.welcome(rt.settings, seeded))
    # Flask refuses app.run() when this variable says a `flask` command is running; a shell
    # that ran one (or a test runner invoking CLI commands) can leave it set for us.
    os.environ.pop("FLASK_RUN_FROM_CLI", None)
    app.run(host=args.host, port=args.port, use_reloader=False, threaded=True)
    return 0


def hub_command() -> None:
    """The ``hub`` console script: the command line, on apps this module's factory builds."""
    from hub import cli

    cli.run(create_app)


if __name__ == "__main__":
    sys.exit(main())
