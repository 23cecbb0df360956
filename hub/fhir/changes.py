"""Whether an import changed a row it found: its own columns, the rows it owns (a patient's
numbers, a plan's activities, a team's members, a consent's rules) or which those are.

Asked of the session before the import flushes, while SQLAlchemy still holds each
attribute's value as loaded beside the value written: writing back the value a row held is
no change, so an identical export reports its rows unchanged rather than updated.

    if not changed(session, patient): summary.unchanged["Patient"] += 1
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect
from sqlalchemy.orm import Session


def changed(session: Session, row: Any) -> bool:
    """True when ``row`` is new, or it or a row it owns (delete-orphan) differs from what the
    database holds, or the set of those it owns does."""
    if row in session.new or session.is_modified(row):
        return True
    state = inspect(row)
    for relationship in state.mapper.relationships:
        if not relationship.cascade.delete_orphan or relationship.key not in state.dict:
            continue  # not owned, or never loaded: the import did not touch it
        owned = state.dict[relationship.key]
        children = owned if relationship.uselist else [owned]
        if any(child is not None and changed(session, child) for child in children):
            return True
    return False
