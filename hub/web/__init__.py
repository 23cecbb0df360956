"""The people-facing web pages (staff, manager; later portal), one blueprint per module,
with their Jinja templates in ``templates/``. Twilio's webhooks are not here: they are
``messages/``."""

from __future__ import annotations

from flask import Flask

from hub.web import health, local_time, manager, manager_audit, manager_ccm, staff


def init_app(app: Flask) -> None:
    """Register the pages' blueprints and the ``local`` filter their templates show times
    with (the practice's time zone)."""
    for module in (health, staff, manager, manager_ccm, manager_audit):
        app.register_blueprint(module.bp)
    app.add_template_filter(local_time.local, "local")
