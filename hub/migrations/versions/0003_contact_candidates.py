"""contacts.candidates: the patients an ambiguous sender may be writing about

A caregiver of several patients, or a number shared by several patients, is matched to all of
them at intake; the list (patient ids, comma-separated) stays with the contact so routing and
the staff page can show them without matching again.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("candidates", sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_column("candidates")
