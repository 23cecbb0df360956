"""triage: the classification on each contact, care-plan thresholds, reported readings

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("triage", sa.Text(), nullable=True))
    op.create_table(
        "care_plan_rules",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("patient_id", sa.Integer(),
                  sa.ForeignKey("patients.id", ondelete="CASCADE"), nullable=False),
        sa.Column("care_plan_id", sa.Integer(),
                  sa.ForeignKey("care_plans.id", ondelete="SET NULL"), nullable=True),
        sa.Column("code", sa.String(length=8), nullable=False),
        sa.Column("metric", sa.String(length=32), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("instruction", sa.Text(), nullable=True),
        sa.UniqueConstraint("patient_id", "code"),
    )
    op.create_index("ix_care_plan_rules_patient_id", "care_plan_rules", ["patient_id"])
    op.create_table(
        "reported_readings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("patient_id", sa.Integer(),
                  sa.ForeignKey("patients.id", ondelete="CASCADE"), nullable=False),
        sa.Column("contact_id", sa.Integer(), sa.ForeignKey("contacts.id"), nullable=True),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_reported_readings_patient_kind_at", "reported_readings",
                    ["patient_id", "kind", "at"])


def downgrade() -> None:
    op.drop_index("ix_reported_readings_patient_kind_at", "reported_readings")
    op.drop_table("reported_readings")
    op.drop_index("ix_care_plan_rules_patient_id", "care_plan_rules")
    op.drop_table("care_plan_rules")
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_column("triage")
