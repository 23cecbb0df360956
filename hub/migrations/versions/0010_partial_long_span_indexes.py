"""long shifts and overrides found through partial indexes (only the long rows)

"Who holds this instant" reads short spans by start time and long ones (over two days) by
their flag. The index on (is_long, ends_at) held every row, so until PostgreSQL had
statistics for a freshly imported schedule it preferred reading the whole table (0.7 ms of
13,780 shifts for each routing decision); an index of the long rows alone is small whatever
the statistics say.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_LONG = {"shifts": "ix_shifts_long", "schedule_overrides": "ix_schedule_overrides_long"}


def upgrade() -> None:
    # As the query filters (is_long = true; SQLite: = 1), so SQLite matches the index's WHERE.
    for table, name in _LONG.items():
        op.drop_index(name, table)
        op.create_index(name, table, ["ends_at"], postgresql_where=sa.text("is_long = true"),
                        sqlite_where=sa.text("is_long = 1"))


def downgrade() -> None:
    for table, name in _LONG.items():
        op.drop_index(name, table)
        op.create_index(name, table, ["is_long", "ends_at"])
