"""care-management time entries for the monthly CCM report

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "care_time_entries",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("patient_id", sa.Integer(), sa.ForeignKey("patients.id"), nullable=False),
        sa.Column("staff_id", sa.Integer(), sa.ForeignKey("staff.id"), nullable=False),
        sa.Column("staff_type", sa.String(length=16), nullable=False),
        sa.Column("seconds", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=24), nullable=False),
        sa.Column("contact_id", sa.Integer(), sa.ForeignKey("contacts.id"), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_care_time_entries_patient_at", "care_time_entries",
                    ["patient_id", "at"])
    op.create_index("ix_care_time_entries_contact_id", "care_time_entries", ["contact_id"])
    op.create_index("ix_care_time_entries_at", "care_time_entries", ["at"])


def downgrade() -> None:
    for index in ("ix_care_time_entries_at", "ix_care_time_entries_contact_id",
                  "ix_care_time_entries_patient_at"):
        op.drop_index(index, "care_time_entries")
    op.drop_table("care_time_entries")
