"""key check values: a wrong HUB_INDEX_KEY or HUB_ENCRYPTION_KEYS is told for certain

One row, written by the first process that starts with this migration in place (a database
made before it gets its values then, once its own data shows the keys are right).

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "key_checks",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("index_check", sa.String(length=64), nullable=False),
        sa.Column("encryption_check", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_key_checks")),
    )


def downgrade() -> None:
    op.drop_table("key_checks")
