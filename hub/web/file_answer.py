"""How the pages hand out a kept photo or document (staff pages and portal alike): inline,
as the type its bytes were sniffed as (``nosniff``), in a sandbox where nothing runs, never
cached."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response

# Flask-Talisman reads a view's own options from ``talisman_view_options`` (its per-view
# decorator sets the same): a policy that lets the file show and nothing run.
SANDBOX = {"content_security_policy": "sandbox; default-src 'none'; img-src 'self'; "
                                      "style-src 'unsafe-inline'"}


def file_response(data: bytes, content_type: str, name: str | None = None) -> Response:
    """The file's bytes with the headers that keep a hostile one harmless."""
    response = Response(data, mimetype=content_type)
    response.headers["Content-Disposition"] = (f'inline; filename="{name}"' if name
                                               else "inline")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response


def sandboxed(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a view that answers with a file: its own sandboxed Content-Security-Policy."""
    view.talisman_view_options = SANDBOX  # type: ignore[attr-defined]
    return view
