"""check source: where an applied manifest came from (for apply --prune)

Revision ID: 7b2e4c1d9a30
Revises: 4130a6d82d43
Create Date: 2026-11-26 14:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "7b2e4c1d9a30"
down_revision: str | Sequence[str] | None = "4130a6d82d43"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("check", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source", sa.String(length=1024), nullable=True))
        batch_op.create_index(batch_op.f("ix_check_source"), ["source"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("check", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_check_source"))
        batch_op.drop_column("source")
