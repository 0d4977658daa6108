"""fleet: cluster health, per-cluster report URL, cluster selectors, cluster events

Revision ID: 8468f137aae3
Revises: 7b2e4c91d0a6
Create Date: 2026-11-26 14:13:06.215281
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "8468f137aae3"
down_revision: str | Sequence[str] | None = "7b2e4c91d0a6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "cluster_health",
        sa.Column("cluster_id", sa.Uuid(), nullable=False),
        sa.Column("reachable", sa.Boolean(), nullable=False),
        sa.Column("since", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("checked_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("last_contact_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("server_version", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cluster_id"],
            ["cluster.id"],
            name=op.f("fk_cluster_health_cluster_id_cluster"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("cluster_id", name=op.f("pk_cluster_health")),
    )
    with op.batch_alter_table("check", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("cluster_selector", sqlmodel.sql.sqltypes.AutoString(), nullable=True)
        )
    with op.batch_alter_table("check_cluster", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("explicit", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("matched", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    with op.batch_alter_table("cluster", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("report_url", sqlmodel.sql.sqltypes.AutoString(), nullable=True)
        )
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.alter_column("check_id", existing_type=sa.Uuid(), nullable=True)


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM event WHERE check_id IS NULL"))
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.alter_column("check_id", existing_type=sa.Uuid(), nullable=False)
    with op.batch_alter_table("cluster", schema=None) as batch_op:
        batch_op.drop_column("report_url")
    with op.batch_alter_table("check_cluster", schema=None) as batch_op:
        batch_op.drop_column("matched")
        batch_op.drop_column("explicit")
    with op.batch_alter_table("check", schema=None) as batch_op:
        batch_op.drop_column("cluster_selector")
    op.drop_table("cluster_health")
