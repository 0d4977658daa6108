"""Loading a run together with its check and cluster in one query (hot paths call this)."""

from __future__ import annotations

import uuid

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.models import Check, Cluster, Run


async def run_with_context(
    session: AsyncSession, run_id: uuid.UUID
) -> tuple[Run, Check, Cluster] | None:
    row = (
        await session.exec(
            select(Run, Check, Cluster)
            .join(Check, col(Check.id) == col(Run.check_id))
            .join(Cluster, col(Cluster.id) == col(Run.cluster_id))
            .where(col(Run.id) == run_id)
        )
    ).first()
    return None if row is None else (row[0], row[1], row[2])
