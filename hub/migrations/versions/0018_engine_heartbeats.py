"""engine heartbeats and event tallies: /readyz sees whether any engine ticks, and refused
webhooks are counted by one UPDATE instead of a log entry each

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "engine_heartbeats",
        sa.Column("process", sa.String(length=128), nullable=False),
        sa.Column("beat_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("process", name=op.f("pk_engine_heartbeats")),
    )
    tallies = op.create_table(
        "event_tallies",
        sa.Column("name", sa.String(length=48), nullable=False),
        sa.Column("pending", sa.Integer(), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("first_at", sa.DateTime(), nullable=True),
        sa.Column("last_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_event_tallies")),
    )
    op.bulk_insert(tallies, [{"name": "webhook_refused", "pending": 0, "total": 0}])


def downgrade() -> None:
    op.drop_table("event_tallies")
    op.drop_table("engine_heartbeats")
