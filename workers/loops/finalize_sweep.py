"""The finalize sweep: hands every decided, unfinalized run to a finalize job. Reports only write
the database, and a lost job is found again here; job ids make the repeats free, and a run whose
finalize stalled (its worker killed mid-job) gets a job under a new id."""

from __future__ import annotations

from app.domain.run_lifecycle import finalize_generation
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
                runs = await runs_awaiting_finalize(
                    session, decided_before=utcnow() - FINALIZE_DELAY, limit=SWEEP_BATCH
                )
            now = utcnow()
            for run_id, decided_at in runs:
                generation = finalize_generation(decided_at, now)
                await enqueue_finalize(runtime.queue, run_id, generation=generation)
        control.beat()
        await control.pause(SWEEP_INTERVAL)
