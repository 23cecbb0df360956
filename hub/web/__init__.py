"""The people-facing web pages (staff; later manager and portal), one blueprint per module,
with their Jinja templates in ``templates/``. Twilio's webhooks are not here: they are
``messages/``."""

from __future__ import annotations

from flask import Flask

from hub.web import health, local_time, metrics, staff


def init_app(app: Flask) -> None:
    """Register the pages' blueprints, ``/metrics`` with the webhooks' timing, and the
    ``local`` filter their templates show times with (the practice's time zone)."""
    for module in (health, staff):
        app.register_blueprint(module.bp)
    metrics.init_app(app)
    app.add_template_filter(local_time.local, "local")
