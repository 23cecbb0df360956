"""rotations, their members, schedule overrides and swaps; the calendar of each shift;
the scheduler's periodic duties

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rotations",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(length=64), nullable=False, unique=True),
        sa.Column("layer", sa.String(length=32), nullable=False),
        sa.Column("every_days", sa.Integer(), nullable=False),
        sa.Column("handoff_minute", sa.Integer(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "rotation_members",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("rotation_id", sa.Integer(),
                  sa.ForeignKey("rotations.id", ondelete="CASCADE"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), sa.ForeignKey("staff.id"), nullable=False),
        sa.UniqueConstraint("rotation_id", "position",
                            name="uq_rotation_members_rotation_id_position"),
    )
    op.create_table(
        "schedule_overrides",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("layer", sa.String(length=32), nullable=True),
        sa.Column("staff_id", sa.Integer(), sa.ForeignKey("staff.id"), nullable=True),
        sa.Column("replaces_id", sa.Integer(), sa.ForeignKey("staff.id"), nullable=True),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("ends_at", sa.DateTime(), nullable=False),
        sa.Column("pair_id", sa.Integer(), nullable=True),
        sa.Column("is_long", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_schedule_overrides_starts_at", "schedule_overrides",
                    ["starts_at", "ends_at"])
    op.create_index("ix_schedule_overrides_long", "schedule_overrides", ["is_long", "ends_at"])
    op.create_table(
        "duties",
        sa.Column("name", sa.String(length=48), primary_key=True),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    with op.batch_alter_table("shifts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("calendar", sa.String(length=200), nullable=True))
        # existing shifts are all taken as long (safe: only slower to read) until re-imported
        batch_op.add_column(sa.Column("is_long", sa.Boolean(), nullable=False,
                                      server_default=sa.true()))
    with op.batch_alter_table("shifts", schema=None) as batch_op:
        batch_op.alter_column("is_long", server_default=None)
    op.create_index("ix_shifts_starts_at", "shifts", ["starts_at", "ends_at"])
    op.create_index("ix_shifts_long", "shifts", ["is_long", "ends_at"])
    # routing reads the patient's care team on every contact
    op.create_index("ix_care_teams_patient_id", "care_teams", ["patient_id"])
    op.create_index("ix_care_team_members_team_id", "care_team_members", ["team_id"])


def downgrade() -> None:
    op.drop_index("ix_care_team_members_team_id", "care_team_members")
    op.drop_index("ix_care_teams_patient_id", "care_teams")
    op.drop_index("ix_shifts_long", "shifts")
    op.drop_index("ix_shifts_starts_at", "shifts")
    with op.batch_alter_table("shifts", schema=None) as batch_op:
        batch_op.drop_column("is_long")
        batch_op.drop_column("calendar")
    op.drop_table("duties")
    op.drop_index("ix_schedule_overrides_long", "schedule_overrides")
    op.drop_index("ix_schedule_overrides_starts_at", "schedule_overrides")
    op.drop_table("schedule_overrides")
    op.drop_table("rotation_members")
    op.drop_table("rotations")
