"""attachments: photos and documents kept with a contact, encrypted

MMS photos, chat media and portal uploads: the bytes as one Fernet token (text, like every
encrypted field, so `hub rotate-keys` covers them), their sniffed type, size and SHA-256.
Nothing existing changes: the table starts empty.

Revision ID: 0022
Revises: 0021
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(),
                  sa.ForeignKey("contacts.id", name="fk_attachments_contact_id_contacts"),
                  nullable=False),
        sa.Column("content_type", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_attachments"),
    )
    op.create_index("ix_attachments_contact_id", "attachments", ["contact_id"])


def downgrade() -> None:
    op.drop_index("ix_attachments_contact_id", "attachments")
    op.drop_table("attachments")
