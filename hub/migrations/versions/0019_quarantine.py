"""row_failures: the rows the engine failed on, and those it set aside (quarantined)

A contact, timer or outbound row whose processing raises is counted here (across processes);
at the limit the row is marked quarantined and no claim takes it again until released.
Nothing existing changes: the table starts empty.

Revision ID: 0019
Revises: 0018
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "row_failures",
        sa.Column("key", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("row_id", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(64), nullable=False),
        sa.Column("first_at", sa.DateTime(), nullable=False),
        sa.Column("last_at", sa.DateTime(), nullable=False),
        sa.Column("quarantined_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("key", name="pk_row_failures"),
    )


def downgrade() -> None:
    op.drop_table("row_failures")
