"""schedule_calendars: how far ahead each imported calendar was expanded into shifts

``hub import-schedule`` expands recurring events only ``--days`` ahead; ``hub coverage``
reads this to say that a gap after that may be the end of the expansion, not of the
calendar. Calendars imported before this migration are known again at their next import.

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "schedule_calendars",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.Column("expanded_until", sa.DateTime(), nullable=False),
        sa.Column("events_after", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_schedule_calendars"),
    )


def downgrade() -> None:
    op.drop_table("schedule_calendars")
