"""calls, call_attempts, patients.birth_index: the voice line

A call to the practice line is a row while it moves through the menu and the dials to
staff (several workers answer its callbacks); each <Dial> is an attempt whose acceptance is
taken by compare-and-set. A caller from an unknown number keys in the patient's birth date,
found through its keyed hash (filled for existing patients when a process starts: the
migration has no keys).

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("patients") as batch:
        batch.add_column(sa.Column("birth_index", sa.String(64), nullable=True))
        batch.create_index("ix_patients_birth_index", ["birth_index"])
    op.create_table(
        "calls",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("call_sid", sa.String(64), nullable=False),
        sa.Column("contact_id", sa.Integer(),
                  sa.ForeignKey("contacts.id", name="fk_calls_contact_id_contacts"),
                  nullable=False),
        sa.Column("language", sa.String(8), nullable=True),
        sa.Column("stage", sa.String(16), nullable=False),
        sa.Column("dial_step", sa.Integer(), nullable=False),
        sa.Column("fallback_tried", sa.Boolean(), nullable=False),
        sa.Column("accepted_by_id", sa.Integer(),
                  sa.ForeignKey("staff.id", name="fk_calls_accepted_by_id_staff"), nullable=True),
        sa.Column("accepted_at", sa.DateTime(), nullable=True),
        sa.Column("recording_url", sa.Text(), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.UniqueConstraint("call_sid", name="uq_calls_call_sid"),
    )
    op.create_index("ix_calls_contact_id", "calls", ["contact_id"])
    op.create_table(
        "call_attempts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("call_id", sa.Integer(),
                  sa.ForeignKey("calls.id", name="fk_call_attempts_call_id_calls"),
                  nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("staff_ids", sa.String(255), nullable=False),
        sa.Column("ring_seconds", sa.Integer(), nullable=False),
        sa.Column("answered_by_id", sa.Integer(),
                  sa.ForeignKey("staff.id", name="fk_call_attempts_answered_by_id_staff"),
                  nullable=True),
        sa.Column("accepted_by_id", sa.Integer(),
                  sa.ForeignKey("staff.id", name="fk_call_attempts_accepted_by_id_staff"),
                  nullable=True),
        sa.Column("accepted_at", sa.DateTime(), nullable=True),
        sa.Column("dial_status", sa.String(16), nullable=True),
        sa.Column("seconds", sa.Integer(), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
    )
    op.create_index("ix_call_attempts_call_id", "call_attempts", ["call_id"])


def downgrade() -> None:
    op.drop_index("ix_call_attempts_call_id", "call_attempts")
    op.drop_table("call_attempts")
    op.drop_index("ix_calls_contact_id", "calls")
    op.drop_table("calls")
    with op.batch_alter_table("patients") as batch:
        batch.drop_index("ix_patients_birth_index")
        batch.drop_column("birth_index")
