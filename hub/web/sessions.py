"""Server-side sessions for the staff pages and the portal: the cookie holds a random token,
the row holds the rest (``hub.models.StaffSession``; the portal's in ``PortalSession``, under
a cookie of its own, so a staff session never opens a portal page nor the other way round).

Every request of a staff page reads its row: a row that was ended (sign-out, ``hub staff
deactivate``), whose staff member is no longer active, or that has seen no request for
``HUB_SESSION_IDLE_MINUTES`` gives an empty session, so the page asks to sign in again. The
time of the last request is kept on the row, so idleness is measured by the server, in
whichever worker the next click lands. Twilio's webhooks and static files get no session
(no cookie read, no database work).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, Request, Response
from flask.sessions import SessionInterface, SessionMixin
from sqlalchemy import delete, literal, select, update
from werkzeug.datastructures import CallbackDict

from hub.models import PortalSession, Staff, StaffSession, utcnow
from messages import runtime

NO_SESSION_PREFIXES = ("/twilio/", "/static/", "/healthz", "/readyz", "/metrics")
# A session's last-seen time is written at most this often (or a quarter of the idle time).
TOUCH_EVERY = timedelta(seconds=20)
# Sessions nobody signed in to (a login form's CSRF secret) are dropped after this long.
ANONYMOUS_KEPT = timedelta(hours=12)


@dataclass(frozen=True)
class Realm:
    """Whose sessions: their table, cookie, and the session key naming who signed in."""

    model: type[StaffSession] | type[PortalSession]
    cookie: str
    who_key: str  # in the session's data
    who_column: str  # on the row


STAFF = Realm(StaffSession, "hub_session", "_user_id", "staff_id")
PORTAL = Realm(PortalSession, "hub_portal", "portal_index", "phone_index")
PORTAL_PREFIX = "/portal"


def realm_of(request: Request) -> Realm:
    return PORTAL if request.path.startswith(PORTAL_PREFIX) else STAFF


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ServerSession(CallbackDict[str, Any], SessionMixin):
    """The session of one request: a dict of what its row holds, and the row it came from."""

    def __init__(self, data: dict[str, Any] | None = None, token_hash: str | None = None,
                 last_seen: datetime | None = None, ended_why: str | None = None,
                 realm: Realm = STAFF) -> None:
        def on_update(_: Any) -> None:
            self.modified = True

        super().__init__(data or {}, on_update)
        self.realm = realm
        self.token_hash = token_hash
        self.last_seen = last_seen
        self.ended_why = ended_why  # why the session this browser had is over (idle...)
        self.renew = False
        self.modified = False

    @property
    def new(self) -> bool:  # type: ignore[override]
        return self.token_hash is None

    def regenerate(self) -> None:
        """Give this session a new token at the next save (after sign-in: the token a
        browser had before signing in never becomes a signed-in one)."""
        self.renew = True
        self.modified = True


class ServerSessions(SessionInterface):
    """Flask's session interface over the ``staff_sessions`` table (``portal_sessions`` for
    the portal's pages)."""

    def open_session(self, app: Flask, request: Request) -> ServerSession | None:
        if request.path.startswith(NO_SESSION_PREFIXES):
            return None  # Flask gives a NullSession, which nothing there touches
        realm = realm_of(request)
        token = request.cookies.get(realm.cookie)
        if not token:
            return ServerSession(realm=realm)
        rt = runtime.current()
        now = utcnow()
        idle = timedelta(minutes=rt.settings.session_idle_minutes)
        model = realm.model
        query = (select(StaffSession, Staff.active).outerjoin(Staff) if realm is STAFF
                 else select(PortalSession, literal(True)))
        with rt.session() as db:
            found = db.execute(query.where(model.token_hash == _hash(token))).first()
            if found is None:
                return ServerSession(realm=realm)
            row, staff_active = found
            who = getattr(row, realm.who_column)
            if row.ended_at is not None:
                return ServerSession(ended_why=row.ended_why, realm=realm)
            why = ("idle" if now - row.last_seen_at > idle
                   else "deactivated" if who is not None and not staff_active
                   else None)
            if why is not None:
                row.ended_at, row.ended_why = now, why
                db.commit()
                return ServerSession(ended_why=why if who is not None else None, realm=realm)
            return ServerSession(json.loads(row.data), row.token_hash, row.last_seen_at,
                                 realm=realm)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if not isinstance(session, ServerSession):
            return
        realm = session.realm
        model = realm.model
        name = realm.cookie
        now = utcnow()
        rt = runtime.current()
        with rt.session() as db:
            cleared = session.modified and not session
            if session.token_hash is not None and (session.renew or cleared):
                # sign-out, or a new token after sign-in: the old row ends either way
                db.execute(update(model).where(model.token_hash == session.token_hash)
                           .values(ended_at=now, ended_why="logout" if not session else "renewed"))
                if not session:
                    db.commit()
                    response.delete_cookie(name, path=self.get_cookie_path(app),
                                           domain=self.get_cookie_domain(app))
                    return
                session.token_hash = None
            user = session.get(realm.who_key)
            who = (int(user) if realm is STAFF else str(user)) if user is not None else None
            values = {"data": json.dumps(dict(session)), realm.who_column: who,
                      "last_seen_at": now}
            if session.token_hash is None:
                if not session:
                    return  # nothing to keep: no row, no cookie
                token = secrets.token_urlsafe(32)
                db.execute(delete(model).where(
                    getattr(model, realm.who_column).is_(None),
                    model.last_seen_at < now - ANONYMOUS_KEPT))
                db.add(model(token_hash=_hash(token), created_at=now, **values))
                db.commit()
                self._set_cookie(app, response, token, name)
                return
            if not session.modified:
                idle = timedelta(minutes=rt.settings.session_idle_minutes)
                if session.last_seen is None or now - session.last_seen < min(TOUCH_EVERY,
                                                                              idle / 4):
                    return
                values = {"last_seen_at": now}
            db.execute(update(model).where(model.token_hash == session.token_hash)
                       .values(**values))
            db.commit()

    def _set_cookie(self, app: Flask, response: Response, token: str, name: str) -> None:
        response.set_cookie(
            name, token, httponly=True,
            secure=self.get_cookie_secure(app), samesite=self.get_cookie_samesite(app),
            path=self.get_cookie_path(app), domain=self.get_cookie_domain(app))
