"""Who may open the manager's pages, and the access audit of what they saw there.

:func:`manager_required` is the one place the pages check it: signed in (the staff pages'
login), active, and a manager or an admin; anyone else signed in gets 403.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import abort, g, request, session
from sqlalchemy.orm import Session as DbSession

from hub import contact_log
from hub.models import Staff
from hub.web.staff import _csrf_token, login_required
from messages import runtime

MANAGER_ROLES = ("manager", "admin")


def manager_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Signed in as an active manager or admin; the staff member is ``g.manager_id``."""
    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        with runtime.current().session() as db:
            person = db.get(Staff, session["staff_id"])
            if person is None or not person.active or person.role not in MANAGER_ROLES:
                abort(403, description="the manager's pages are for managers and admins")
        g.manager_id = person.id
        return view(*args, **kwargs)

    return login_required(wrapped)


def csrf_token() -> str:
    """The token the manager's forms carry (the staff pages' own)."""
    return _csrf_token()


def record_view(db: DbSession, event: str, contact_id: int | None = None,
                **detail: Any) -> None:
    """Write the access audit of a view of patient data: who, what, and from where."""
    contact_log.append(db, event, contact_id=contact_id, actor=f"staff:{g.manager_id}",
                       detail={**detail, "ip": request.remote_addr})
