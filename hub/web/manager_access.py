"""Who may open the manager's pages, and the access audit of what they saw there.

:func:`manager_required` is the one place the pages check it: signed in (Flask-Login, whose
user loader refuses a deactivated staff member on every request), and a manager or an
admin; anyone else signed in gets 403. CSRF is Flask-WTF's, for every form of the hub.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import abort, request
from flask_login import current_user, login_required

from hub import contact_log
from messages import runtime

MANAGER_ROLES = ("manager", "admin")


def manager_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Signed in as a manager or admin; others get 403 (the sign-in page if not signed in)."""
    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if current_user.role not in MANAGER_ROLES:
            abort(403, description="the manager's pages are for managers and admins")
        return view(*args, **kwargs)

    return login_required(wrapped)  # type: ignore[no-any-return]


def manager_id() -> int:
    """The signed-in manager's staff id."""
    return int(current_user.id)


def record_view(event: str, contact_id: int | None = None, **detail: Any) -> None:
    """Write the access audit of a view of patient data: who, what, and from where.

    Its own short write, after the page's reading (``Runtime.reading``) and before the page
    is answered: a report's long read never holds the database's one writer on SQLite, and
    no page goes out unaudited.
    """
    with runtime.current().session() as db:
        contact_log.append(db, event, contact_id=contact_id, actor=f"staff:{manager_id()}",
                           detail={**detail, "from": request.remote_addr})
