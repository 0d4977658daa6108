"""Job functions. Each takes the arq context (holding the Runtime) and delegates to a service."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from app.logging import get_logger
from app.metrics import HOUSEKEEPING_PRUNED
from app.runtime import Runtime
from app.services.housekeeping import prune_run_history

log = get_logger(__name__)

def runtime_of(ctx: dict[str, Any]) -> Runtime:
    runtime: Runtime = ctx["runtime"]
    return runtime


async def housekeeping(ctx: dict[str, Any]) -> int:
    runtime = runtime_of(ctx)
    async with runtime.session_factory() as session:
        pruned = await prune_run_history(
            session, retention=timedelta(days=runtime.settings.run_retention_days)
        )
    HOUSEKEEPING_PRUNED.inc(pruned)
    log.info("housekeeping finished", pruned_runs=pruned)
    return pruned
