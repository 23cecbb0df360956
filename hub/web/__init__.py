"""The people-facing web pages (staff; later manager and portal), one blueprint per module,
with their Jinja templates in ``templates/``. Twilio's webhooks are not here: they are
``messages/``."""

from __future__ import annotations

from flask import Flask

from hub.web import health, staff


def init_app(app: Flask) -> None:
    """Register the pages' blueprints."""
    for module in (health, staff):
        app.register_blueprint(module.bp)
