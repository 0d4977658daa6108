"""Keeping the run history bounded."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from app.models import Run
from app.models.columns import utcnow


async def prune_run_history(
    session: AsyncSession, *, retention: timedelta, now: datetime | None = None
) -> int:
    """Delete finished runs (with their logs and events) older than the retention window."""
    cutoff = (now or utcnow()) - retention
    result = await session.exec(  # type: ignore[call-overload]
        sa.delete(Run).where(
            Run.finished_at.is_not(None),  # type: ignore[union-attr]
            Run.finished_at < cutoff,  # type: ignore[operator]
        )
    )
    await session.commit()
    return int(result.rowcount or 0)
