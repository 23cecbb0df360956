"""outbound.unsure_since: an attempt whose outcome Twilio never told (the request timed out or
the connection broke after it was sent)

Before sending such a row again, the hub asks Twilio whether the message exists: a page that
Twilio took while hanging is recorded as sent, not sent twice.

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("outbound", sa.Column("unsure_since", sa.DateTime(), nullable=True))


def downgrade() -> None:
    op.drop_column("outbound", "unsure_since")
