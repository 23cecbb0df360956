"""The staff pages' safeguards, wired with the well-kept Flask extensions:

- Flask-Login (who is signed in), over server-side sessions (``sessions``);
- Flask-WTF's CSRFProtect on every POST form (Twilio's webhooks are exempt: Twilio signs them);
- Flask-Limiter on the sign-in form, counting failures in a storage all workers share
  (``login_limits``);
- Flask-Talisman's security headers: a Content-Security-Policy allowing only the hub's own
  static files (no inline script or style), X-Content-Type-Options, Referrer-Policy,
  frame-ancestors 'none', HSTS on https requests; and ``Cache-Control: no-store`` on the
  staff pages, which show patient data.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, Response, redirect, request, session, url_for
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, UserMixin, current_user
from flask_talisman import Talisman
from flask_wtf.csrf import CSRFError, CSRFProtect
from sqlalchemy import select

from hub.models import Staff
from hub.web.login_limits import SCHEME
from hub.web.sessions import ServerSessions
from messages import runtime

CSP = {
    "default-src": "'self'",
    "img-src": "'self' data:",
    "style-src": "'self'",
    "script-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
# Pages that can show patient data (and the sign-in form) are never stored by a browser.
NO_STORE_PREFIXES = ("/staff", "/account", "/manager", "/portal")


@dataclass(frozen=True)
class SignedIn(UserMixin):  # type: ignore[misc]
    """The staff member of this request, as Flask-Login's ``current_user``."""

    id: int
    name: str
    email: str
    role: str

    def get_id(self) -> str:
        return str(self.id)


def _load_user(user_id: str) -> SignedIn | None:
    """The signed-in staff member, or None when they were deactivated (sign in again)."""
    with runtime.current().session() as db:
        staff = db.scalar(select(Staff).where(Staff.id == int(user_id), Staff.active.is_(True)))
        if staff is None:
            return None
        return SignedIn(staff.id, staff.name, staff.email or "", staff.role)


def _stale_form(error: CSRFError) -> Response:
    """A form posted after its session ended (idle, deactivated, signed out) leads to the
    sign-in page, which says why; any other bad token is a 400 naming the problem."""
    if request.path.startswith("/portal") and "portal_index" not in session:
        return redirect(url_for("portal.start"))  # the portal's session ended (idle...)
    if not current_user.is_authenticated and getattr(session, "ended_why", None):
        return redirect(url_for("auth.login"))
    return Response(f"400 Bad Request: {error.description}\n", status=400,
                    mimetype="text/plain")


def init_app(app: Flask, exempt: tuple[str, ...]) -> Limiter:
    """Install sessions, login, CSRF, headers and the sign-in limiter; return the limiter.

    ``exempt``: names of blueprints that take no form from a browser (Twilio's webhooks)."""
    settings = app.extensions["hub"].settings
    app.session_interface = ServerSessions()
    app.config.update(
        SESSION_COOKIE_NAME="hub_session",
        WTF_CSRF_TIME_LIMIT=None,  # valid as long as the session, which idles out itself
        RATELIMIT_HEADERS_ENABLED=False,
    )
    login = LoginManager(app)
    login.login_view = "auth.login"
    login.login_message = ""  # no flash: the session row stays as it was (idle note)
    login.session_protection = "basic"
    login.user_loader(_load_user)

    csrf = CSRFProtect(app)
    for name in exempt:
        csrf.exempt(app.blueprints[name])
    app.register_error_handler(CSRFError, _stale_form)

    https = settings.public_url.startswith("https")
    Talisman(app, force_https=False, session_cookie_secure=https,
             content_security_policy=CSP, frame_options="DENY",
             referrer_policy="same-origin", strict_transport_security=True,
             permissions_policy={}, x_xss_protection=False)

    @app.after_request
    def _no_store(response: Response) -> Response:
        if request.path.startswith(NO_STORE_PREFIXES):
            response.headers["Cache-Control"] = "no-store"
        return response

    storage = settings.limit_storage
    limiter = Limiter(
        get_remote_address, app=app, strategy="fixed-window",
        storage_uri=f"{SCHEME}://" if storage == "database" else storage,
        storage_options={"engine": app.extensions["hub"].engine} if storage == "database"
        else {})
    # The webhooks skip the limiter's per-request bookkeeping: a request filter is asked
    # first, where exempting a blueprint still costs a third of a millisecond per webhook.
    untouched = frozenset(exempt)
    limiter.request_filter(lambda: request.blueprint in untouched)
    return limiter
