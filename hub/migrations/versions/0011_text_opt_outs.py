"""text_opt_outs: numbers that answered STOP (or another opt-out word) and START again

The number is found by its keyed hash, like a sender; nothing more is texted to it while it
is opted out, and the care team sees the opt-out on the patient's pages.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "text_opt_outs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("phone_index", sa.String(64), nullable=False, unique=True),
        sa.Column("opted_out", sa.Boolean(), nullable=False),
        sa.Column("keyword", sa.String(16), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("text_opt_outs")
