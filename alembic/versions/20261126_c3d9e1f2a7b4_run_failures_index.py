"""run failures index

Revision ID: c3d9e1f2a7b4
Revises: 8468f137aae3
Create Date: 2026-11-26 15:25:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "c3d9e1f2a7b4"
down_revision: str | Sequence[str] | None = "8468f137aae3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("run", schema=None) as batch_op:
        batch_op.create_index(
            "ix_run_check_failures",
            ["check_id", "scheduled_at"],
            unique=False,
            sqlite_where=sa.text("failure_reason IS NOT NULL"),
            postgresql_where=sa.text("failure_reason IS NOT NULL"),
        )


def downgrade() -> None:
    with op.batch_alter_table("run", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_run_check_failures",
            sqlite_where=sa.text("failure_reason IS NOT NULL"),
            postgresql_where=sa.text("failure_reason IS NOT NULL"),
        )
