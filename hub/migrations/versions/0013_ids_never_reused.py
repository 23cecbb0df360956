"""ids people type are never reused on SQLite: rotations and schedule overrides (swaps too)

SQLite gives a new row the largest rowid plus one, so after a delete the next row takes the
deleted one's id: "override #12" in last week's e-mail, or rotation_id 3 in the log, would
name another row. AUTOINCREMENT (a rebuild of the table, in batch mode) makes SQLite remember
the largest id ever given. PostgreSQL's sequences never hand an id out twice: nothing to do.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

TABLES = ("rotations", "schedule_overrides")


def _rebuild(autoincrement: bool) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    # Dropping the old rotations table deletes its rows first, and with foreign keys on
    # (they are, inside this transaction) that cascades to the members: keep and restore them.
    members = [dict(row) for row in bind.execute(sa.text(
        "SELECT id, rotation_id, position, staff_id FROM rotation_members")).mappings()]
    for table in TABLES:
        with op.batch_alter_table(table, recreate="always",
                                  table_kwargs={"sqlite_autoincrement": autoincrement}):
            pass
    _restore(bind, members)


def _restore(bind: Any, members: list[dict[str, Any]]) -> None:
    bind.execute(sa.text("DELETE FROM rotation_members"))
    if members:
        bind.execute(sa.text(
            "INSERT INTO rotation_members (id, rotation_id, position, staff_id) "
            "VALUES (:id, :rotation_id, :position, :staff_id)"), members)


def upgrade() -> None:
    _rebuild(autoincrement=True)


def downgrade() -> None:
    _rebuild(autoincrement=False)
