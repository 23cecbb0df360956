"""outreach plans, outreaches, the send pace, and a patient's time zone

Revision ID: 0027
Revises: 0026
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("patients") as batch:
        batch.add_column(sa.Column("time_zone", sa.String(64), nullable=True))
    op.create_table(
        "outreach_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), sa.ForeignKey(
            "patients.id", name="fk_outreach_plans_patient_id_patients", ondelete="CASCADE"),
            nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("rrule", sa.String(200), nullable=False),
        sa.Column("starts_local", sa.String(16), nullable=False),
        sa.Column("next_at", sa.DateTime(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_outreach_plans"),
        sa.UniqueConstraint("patient_id", "kind", name="uq_outreach_plans_patient_id"),
    )
    op.create_index("ix_outreach_plans_due", "outreach_plans", ["active", "next_at"])
    op.create_table(
        "outreaches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), sa.ForeignKey(
            "patients.id", name="fk_outreaches_patient_id_patients", ondelete="CASCADE"),
            nullable=False),
        sa.Column("plan_id", sa.Integer(), sa.ForeignKey(
            "outreach_plans.id", name="fk_outreaches_plan_id_outreach_plans",
            ondelete="SET NULL"), nullable=True),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("send_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(32), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("staff_id", sa.Integer(), sa.ForeignKey(
            "staff.id", name="fk_outreaches_staff_id_staff"), nullable=True),
        sa.Column("outbound_id", sa.Integer(), sa.ForeignKey(
            "outbound.id", name="fk_outreaches_outbound_id_outbound"), nullable=True),
        sa.Column("reply_contact_id", sa.Integer(), sa.ForeignKey(
            "contacts.id", name="fk_outreaches_reply_contact_id_contacts"), nullable=True),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_outreaches"),
        sa.UniqueConstraint("plan_id", "due_at", name="uq_outreaches_plan_id"),
    )
    op.create_index("ix_outreaches_status_send", "outreaches", ["status", "send_at"])
    op.create_index("ix_outreaches_patient_status", "outreaches", ["patient_id", "status"])
    op.create_table(
        "send_pace",
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("next_slot_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("channel", name="pk_send_pace"),
    )


def downgrade() -> None:
    op.drop_table("send_pace")
    op.drop_index("ix_outreaches_patient_status", table_name="outreaches")
    op.drop_index("ix_outreaches_status_send", table_name="outreaches")
    op.drop_table("outreaches")
    op.drop_index("ix_outreach_plans_due", table_name="outreach_plans")
    op.drop_table("outreach_plans")
    with op.batch_alter_table("patients") as batch:
        batch.drop_column("time_zone")
