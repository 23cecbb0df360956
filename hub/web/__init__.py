"""The people-facing web pages (staff, manager, portal), one blueprint per module,
with their Jinja templates in ``templates/`` and their CSS and script in ``static/`` (served
by the hub itself: the Content-Security-Policy allows nothing else). Twilio's webhooks are
not here: they are ``messages/``."""

from __future__ import annotations

from flask import Blueprint, Flask

from hub.web import (
    auth,
    fhir_api,
    health,
    local_time,
    manager,
    manager_audit,
    manager_ccm,
    manager_transitions,
    metrics,
    portal,
    portal_messages,
    security,
    staff,
    staff_actions,
    staff_files,
    staff_outreach,
    staff_transitions,
)

assets = Blueprint("assets", __name__, static_folder="static", static_url_path="/static")


def init_app(app: Flask, exempt: tuple[str, ...] = ()) -> None:
    """Register the pages' blueprints, their safeguards (``security``; ``exempt`` names the
    blueprints Twilio posts to, which carry no CSRF token), ``/metrics`` with the webhooks'
    timing, and the ``local`` filter their templates show times with (the practice's time
    zone)."""
    for module in (health, auth, fhir_api, staff, staff_actions, staff_files, staff_outreach,
                   staff_transitions, manager, manager_ccm, manager_audit, manager_transitions,
                   portal, portal_messages):
        app.register_blueprint(module.bp)
    app.register_blueprint(assets)
    limiter = security.init_app(app, exempt)
    auth.limit_login(app, limiter)
    portal.limit_codes(app, limiter)
    fhir_api.protect(app, limiter)
    metrics.init_app(app)
    app.add_template_filter(local_time.local, "local")
