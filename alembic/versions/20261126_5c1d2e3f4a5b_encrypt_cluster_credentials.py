"""encrypt cluster credentials

Revision ID: 5c1d2e3f4a5b
Revises: ef341f8f2cce
Create Date: 2026-11-26 11:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "5c1d2e3f4a5b"
down_revision: str | Sequence[str] | None = "ef341f8f2cce"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SECRETS = ("kubeconfig", "token", "ca_cert")


def upgrade() -> None:
    with op.batch_alter_table("cluster", schema=None) as batch_op:
        for name in SECRETS:
            batch_op.add_column(sa.Column(f"{name}_encrypted", sa.Text(), nullable=True))
    connection = op.get_bind()
    cluster = sa.table(
        "cluster",
        sa.column("id", sa.Uuid()),
        *(sa.column(name, sa.Text()) for name in SECRETS),
        *(sa.column(f"{name}_encrypted", sa.Text()) for name in SECRETS),
    )
    rows = connection.execute(
        sa.select(cluster.c.id, *(cluster.c[name] for name in SECRETS)).where(
            sa.or_(*(cluster.c[name].is_not(None) for name in SECRETS))
        )
    ).all()
    if rows:
        keyring = op.get_context().config.attributes.get("keyring")  # type: ignore[union-attr]
        if keyring is None:
            raise RuntimeError(
                "clusters hold credentials to encrypt: run `patrol db upgrade` with "
                "PATROL_SECRET_KEY set"
            )
        for row in rows:
            values = {
                f"{name}_encrypted": keyring.encrypt(value)
                for name, value in zip(SECRETS, row[1:], strict=True)
                if value is not None
            }
            connection.execute(sa.update(cluster).where(cluster.c.id == row[0]).values(**values))
    with op.batch_alter_table("cluster", schema=None) as batch_op:
        for name in SECRETS:
            batch_op.drop_column(name)


def downgrade() -> None:
    raise RuntimeError("cluster credentials cannot be decrypted back by a migration")
