"""media_fetches, contacts.conversation_sid: MMS photos to fetch, chat contacts' conversations

An inbound MMS keeps its media URLs (encrypted) until the engine has fetched them into the
attachment store and deleted them from Twilio. A contact made from a Twilio Conversations
message keeps its conversation's Sid, where the answer and staff replies are posted.
Nothing existing changes: the table starts empty, the column is null for earlier contacts.

Revision ID: 0023
Revises: 0022
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "media_fetches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(),
                  sa.ForeignKey("contacts.id", name="fk_media_fetches_contact_id_contacts"),
                  nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("declared_type", sa.String(64), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=True),
        sa.Column("attachment_id", sa.Integer(),
                  sa.ForeignKey("attachments.id",
                                name="fk_media_fetches_attachment_id_attachments"),
                  nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("claimed_until", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.String(200), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_media_fetches"),
        sa.UniqueConstraint("contact_id", "position", name="uq_media_fetches_contact_id"),
    )
    op.create_index("ix_media_fetches_due", "media_fetches", ["status", "next_attempt_at"])
    with op.batch_alter_table("contacts") as batch:
        batch.add_column(sa.Column("conversation_sid", sa.String(34), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("contacts") as batch:
        batch.drop_column("conversation_sid")
    op.drop_index("ix_media_fetches_due", "media_fetches")
    op.drop_table("media_fetches")
