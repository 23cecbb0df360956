"""staff_sessions, login_limits, staff.totp_secret/totp_last_step: staff accounts

Sessions move from a signed cookie to rows (the cookie keeps a random token only), failed
sign-ins are counted in a table every worker shares, and staff may enrol a second factor.
Existing password hashes stay: they are checked as before and rehashed with argon2 at the
next sign-in. Roles stored as "care-manager" (none expected) become "care_manager".

Revision ID: 0018
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("staff") as batch:
        batch.add_column(sa.Column("totp_secret", sa.Text(), nullable=True))
        batch.add_column(sa.Column("totp_last_step", sa.Integer(), nullable=True))
    op.execute("UPDATE staff SET role = 'care_manager' WHERE role = 'care-manager'")
    op.create_table(
        "staff_sessions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("staff_id", sa.Integer(),
                  sa.ForeignKey("staff.id", name="fk_staff_sessions_staff_id_staff"),
                  nullable=True),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("ended_why", sa.String(16), nullable=True),
        sa.UniqueConstraint("token_hash", name="uq_staff_sessions_token_hash"),
    )
    op.create_index("ix_staff_sessions_staff_id", "staff_sessions", ["staff_id"])
    op.create_index("ix_staff_sessions_last_seen_at", "staff_sessions", ["last_seen_at"])
    op.create_table(
        "login_limits",
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("login_limits")
    op.drop_index("ix_staff_sessions_last_seen_at", "staff_sessions")
    op.drop_index("ix_staff_sessions_staff_id", "staff_sessions")
    op.drop_table("staff_sessions")
    with op.batch_alter_table("staff") as batch:
        batch.drop_column("totp_last_step")
        batch.drop_column("totp_secret")
