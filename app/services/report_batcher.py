"""Group commit for reports: requests arriving together share one transaction."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable

from app.db import SessionFactory
from app.domain.report import Report
from app.logging import get_logger
from app.models.columns import utcnow
from app.services.ports import EventNudges
from app.services.reports import ReportResult, record_reports

log = get_logger(__name__)
MAX_BATCH = 500
# Transactions in flight at once: while one commits, the next batch gathers and goes.
CONCURRENT_BATCHES = 4

Pending = tuple[uuid.UUID, Report, asyncio.Future[ReportResult]]


class ReportBatcher:
    """Reports queue up while transactions are in progress and go into the next one together,
    so under load the cost of a commit is shared; alone, a report is committed at once. A run
    reported in two batches at once is still decided once: each batch's update is conditional."""

    def __init__(self, session_factory: SessionFactory, nudges: EventNudges) -> None:
        self._session_factory = session_factory
        self._nudges = nudges
        self._queue: asyncio.Queue[Pending] = asyncio.Queue()
        self._free_committers = 0

    async def record(self, run_id: uuid.UUID, report: Report) -> ReportResult:
        future: asyncio.Future[ReportResult] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((run_id, report, future))
        return await future

    async def run(
        self, beat: Callable[[], None] = lambda: None, *, quiet_after: float = 1.0
    ) -> None:
        """Commit batches until cancelled; `beat` is called while at least one committer is free
        to take reports (all of them stuck in the database means no beat)."""
        await asyncio.gather(
            self._beat_while_free(beat, quiet_after),
            *(self._commit_batches() for _ in range(CONCURRENT_BATCHES)),
        )

    async def _beat_while_free(self, beat: Callable[[], None], interval: float) -> None:
        while True:
            if self._free_committers > 0:
                beat()
            await asyncio.sleep(interval)

    async def _commit_batches(self) -> None:
        while True:
            self._free_committers += 1
            try:
                batch = [await self._queue.get()]
            finally:
                self._free_committers -= 1
            while len(batch) < MAX_BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            await self._commit(batch)

    async def _commit(self, batch: list[Pending]) -> None:
        try:
            async with self._session_factory() as session:
                results = await record_reports(
                    session,
                    [(run_id, report) for run_id, report, _ in batch],
                    now=utcnow(),
                    nudges=self._nudges,
                )
        except Exception as error:
            log.exception("recording reports failed", reports=len(batch))
            for _, _, future in batch:
                if not future.done():
                    future.set_exception(error)
            return
        for (_, _, future), result in zip(batch, results, strict=True):
            if not future.done():
                future.set_result(result)
