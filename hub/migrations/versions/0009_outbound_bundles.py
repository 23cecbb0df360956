"""outbound.bundle_id: pages to one person sent together as one SMS (rate limiting)

When a person has had their share of SMS pages in the window (5 per 15 minutes), further
pages wait, and pages waiting for the same person go out as one bundled SMS; each bundled
page row points at the bundle row that carried it.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbound", schema=None) as batch_op:
        batch_op.add_column(sa.Column("bundle_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_outbound_bundle_id", "outbound", ["bundle_id"], ["id"])
        batch_op.create_index("ix_outbound_staff_sent", ["staff_id", "channel", "sent_at"])


def downgrade() -> None:
    with op.batch_alter_table("outbound", schema=None) as batch_op:
        batch_op.drop_index("ix_outbound_staff_sent")
        batch_op.drop_constraint("fk_outbound_bundle_id", type_="foreignkey")
        batch_op.drop_column("bundle_id")
