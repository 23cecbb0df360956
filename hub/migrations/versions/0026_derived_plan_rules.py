"""Care-plan rules derived from FHIR (origin, state, the sentence they came from) and
clinicians' feedback on triage

Revision ID: 0026
Revises: 0025
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("care_plan_rules", schema=None) as batch_op:
        batch_op.add_column(sa.Column("origin", sa.String(length=8), nullable=False,
                                      server_default="hub"))
        batch_op.add_column(sa.Column("state", sa.String(length=16), nullable=False,
                                      server_default="confirmed"))
        batch_op.add_column(sa.Column("source_key", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("source_text", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("derived_threshold", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("decided_by", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("decided_at", sa.DateTime(), nullable=True))
        batch_op.create_unique_constraint("uq_care_plan_rules_patient_source",
                                          ["patient_id", "source_key"])
    op.create_table(
        "triage_feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(),
                  sa.ForeignKey("contacts.id", ondelete="CASCADE",
                                name="fk_triage_feedback_contact_id_contacts"),
                  nullable=False),
        sa.Column("staff_id", sa.Integer(),
                  sa.ForeignKey("staff.id", name="fk_triage_feedback_staff_id_staff"),
                  nullable=False),
        sa.Column("verdict", sa.String(length=24), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_triage_feedback"),
    )
    op.create_index("ix_triage_feedback_contact_id", "triage_feedback", ["contact_id"])


def downgrade() -> None:
    op.drop_index("ix_triage_feedback_contact_id", "triage_feedback")
    op.drop_table("triage_feedback")
    with op.batch_alter_table("care_plan_rules", schema=None) as batch_op:
        batch_op.drop_constraint("uq_care_plan_rules_patient_source", type_="unique")
        for column in ("decided_at", "decided_by", "derived_threshold", "source_text",
                       "source_key", "state", "origin"):
            batch_op.drop_column(column)
