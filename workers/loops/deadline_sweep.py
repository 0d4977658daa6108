"""The deadline sweep: times runs out the moment their deadline passes, with one query per
wake-up however many runs are in flight, and nothing kept in Redis that a restart could lose."""

from __future__ import annotations

import asyncio

from app.logging import get_logger
from app.models.columns import utcnow
from app.runtime import Runtime
from app.services.followups import enqueue_finalize
from app.services.reconcile import next_deadline, time_out_overdue_runs
from app.supervision import LoopControl

log = get_logger(__name__)
MAX_SLEEP = 1.0


async def run_deadline_sweep(runtime: Runtime, control: LoopControl) -> None:
    while True:
        async with control.stretch():
            async with runtime.session_factory() as session:
                expired = await time_out_overdue_runs(
                    session, now=utcnow(), nudges=runtime.event_nudges
                )
                upcoming = await next_deadline(session)
            for run_id in expired:
                log.info("run timed out", run_id=str(run_id))
                # A lost enqueue is found again by the finalize sweep.
                await enqueue_finalize(runtime.queue, run_id)
        control.beat()
        pause = MAX_SLEEP
        if upcoming is not None:
            pause = min(pause, max(0.0, (upcoming - utcnow()).total_seconds()) + 0.001)
        await asyncio.sleep(pause)
