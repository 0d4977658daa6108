"""The finalize sweep: hands every decided, unfinalized run to a finalize job. Reports only write
the database, and a lost job is found again here; job ids make the repeats free."""

from __future__ import annotations

from app.models.columns import utcnow
from app.runtime import Runtime
from app.services.finalize import runs_awaiting_finalize
from app.services.followups import FINALIZE_DELAY, enqueue_finalize
from app.supervision import LoopControl

SWEEP_INTERVAL = 0.5
SWEEP_BATCH = 500


async def run_finalize_sweep(runtime: Runtime, control: LoopControl) -> None:
    while True:
        async with control.stretch():
            async with runtime.session_factory() as session:
                run_ids = await runs_awaiting_finalize(
                    session, decided_before=utcnow() - FINALIZE_DELAY, limit=SWEEP_BATCH
                )
            for run_id in run_ids:
                await enqueue_finalize(runtime.queue, run_id)
        control.beat()
        await control.pause(SWEEP_INTERVAL)
