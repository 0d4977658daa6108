"""silence.expired_at: a silence ended by hand keeps its window and never silences again

Revision ID: b7e2c4d1a9f0
Revises: c3d9e1f2a7b4
Create Date: 2026-11-26 14:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = "b7e2c4d1a9f0"
down_revision: str | Sequence[str] | None = "c3d9e1f2a7b4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("silence", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("expired_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("silence", schema=None) as batch_op:
        batch_op.drop_column("expired_at")
