"""portal_codes, portal_sessions, portal_replies: the patients' and caregivers' portal

One-time sign-in codes (keyed hashes only), the portal's own sessions, and the care team's
replies to portal messages (encrypted).

Revision ID: 0024
Revises: 0023
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "portal_codes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("phone_index", sa.String(64), nullable=False),
        sa.Column("salt", sa.String(32), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
    )
    op.create_index("ix_portal_codes_phone_index", "portal_codes", ["phone_index"])
    op.create_table(
        "portal_sessions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("phone_index", sa.String(64), nullable=True),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("ended_why", sa.String(16), nullable=True),
        sa.UniqueConstraint("token_hash", name="uq_portal_sessions_token_hash"),
    )
    op.create_index("ix_portal_sessions_phone_index", "portal_sessions", ["phone_index"])
    op.create_index("ix_portal_sessions_last_seen_at", "portal_sessions", ["last_seen_at"])
    op.create_table(
        "portal_replies",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("contact_id", sa.Integer(),
                  sa.ForeignKey("contacts.id", name="fk_portal_replies_contact_id_contacts"),
                  nullable=False),
        sa.Column("staff_id", sa.Integer(),
                  sa.ForeignKey("staff.id", name="fk_portal_replies_staff_id_staff"),
                  nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_portal_replies_contact_id", "portal_replies", ["contact_id"])


def downgrade() -> None:
    op.drop_index("ix_portal_replies_contact_id", "portal_replies")
    op.drop_table("portal_replies")
    op.drop_index("ix_portal_sessions_last_seen_at", "portal_sessions")
    op.drop_index("ix_portal_sessions_phone_index", "portal_sessions")
    op.drop_table("portal_sessions")
    op.drop_index("ix_portal_codes_phone_index", "portal_codes")
    op.drop_table("portal_codes")
