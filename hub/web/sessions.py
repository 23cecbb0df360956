"""Server-side sessions for the staff pages: the cookie holds a random token, the row holds
the rest (``hub.models.StaffSession``).

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
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, Request, Response
from flask.sessions import SessionInterface, SessionMixin
from sqlalchemy import delete, select, update
from werkzeug.datastructures import CallbackDict

from hub.models import Staff, StaffSession, utcnow
from messages import runtime

NO_SESSION_PREFIXES = ("/twilio/", "/static/", "/healthz", "/readyz", "/metrics")
# A session's last-seen time is written at most this often (or a quarter of the idle time).
TOUCH_EVERY = timedelta(seconds=20)
# Sessions nobody signed in to (a login form's CSRF secret) are dropped after this long.
ANONYMOUS_KEPT = timedelta(hours=12)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ServerSession(CallbackDict[str, Any], SessionMixin):
    """The session of one request: a dict of what its row holds, and the row it came from."""

    def __init__(self, data: dict[str, Any] | None = None, token_hash: str | None = None,
                 last_seen: datetime | None = None, ended_why: str | None = None) -> None:
        def on_update(_: Any) -> None:
            self.modified = True

        super().__init__(data or {}, on_update)
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
    """Flask's session interface over the ``staff_sessions`` table."""

    def open_session(self, app: Flask, request: Request) -> ServerSession | None:
        if request.path.startswith(NO_SESSION_PREFIXES):
            return None  # Flask gives a NullSession, which nothing there touches
        token = request.cookies.get(self.get_cookie_name(app))
        if not token:
            return ServerSession()
        rt = runtime.current()
        now = utcnow()
        idle = timedelta(minutes=rt.settings.session_idle_minutes)
        with rt.session() as db:
            found = db.execute(
                select(StaffSession, Staff.active).outerjoin(Staff)
                .where(StaffSession.token_hash == _hash(token))).first()
            if found is None:
                return ServerSession()
            row, staff_active = found
            if row.ended_at is not None:
                return ServerSession(ended_why=row.ended_why)
            why = ("idle" if now - row.last_seen_at > idle
                   else "deactivated" if row.staff_id is not None and not staff_active
                   else None)
            if why is not None:
                row.ended_at, row.ended_why = now, why
                db.commit()
                return ServerSession(ended_why=why if row.staff_id is not None else None)
            return ServerSession(json.loads(row.data), row.token_hash, row.last_seen_at)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if not isinstance(session, ServerSession):
            return
        name = self.get_cookie_name(app)
        now = utcnow()
        rt = runtime.current()
        with rt.session() as db:
            cleared = session.modified and not session
            if session.token_hash is not None and (session.renew or cleared):
                # sign-out, or a new token after sign-in: the old row ends either way
                db.execute(update(StaffSession).where(StaffSession.token_hash == session.token_hash)
                           .values(ended_at=now, ended_why="logout" if not session else "renewed"))
                if not session:
                    db.commit()
                    response.delete_cookie(name, path=self.get_cookie_path(app),
                                           domain=self.get_cookie_domain(app))
                    return
                session.token_hash = None
            user = session.get("_user_id")
            staff_id = int(user) if user is not None else None
            values = {"data": json.dumps(dict(session)), "staff_id": staff_id,
                      "last_seen_at": now}
            if session.token_hash is None:
                if not session:
                    return  # nothing to keep: no row, no cookie
                token = secrets.token_urlsafe(32)
                db.execute(delete(StaffSession).where(
                    StaffSession.staff_id.is_(None),
                    StaffSession.last_seen_at < now - ANONYMOUS_KEPT))
                db.add(StaffSession(token_hash=_hash(token), created_at=now, **values))
                db.commit()
                self._set_cookie(app, response, token)
                return
            if not session.modified:
                idle = timedelta(minutes=rt.settings.session_idle_minutes)
                if session.last_seen is None or now - session.last_seen < min(TOUCH_EVERY,
                                                                              idle / 4):
                    return
                values = {"last_seen_at": now}
            db.execute(update(StaffSession).where(StaffSession.token_hash == session.token_hash)
                       .values(**values))
            db.commit()

    def _set_cookie(self, app: Flask, response: Response, token: str) -> None:
        response.set_cookie(
            self.get_cookie_name(app), token, httponly=True,
            secure=self.get_cookie_secure(app), samesite=self.get_cookie_samesite(app),
            path=self.get_cookie_path(app), domain=self.get_cookie_domain(app))
