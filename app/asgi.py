"""The Litestar application: GraphQL API, reports, health and metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar

from app.api.authentication import graphql_controller
from app.api.limits import OperationLimits
from app.health import health_handlers
from app.job_names import HOUSEKEEPING
from app.logging import get_logger
from app.metrics import JOBS_ENQUEUED
from app.report_endpoint import report_handlers
from app.runtime import Runtime
from app.services.dispatch import QueueDispatcher
from app.services.report_batcher import ReportBatcher
from app.supervision import LoopControl

log = get_logger(__name__)
REPORT_BATCHER = "report-batcher"


def create_app(runtime: Runtime) -> Litestar:
    controller = graphql_controller(
        runtime.api_session_factory,
        runtime.keyring,
        QueueDispatcher(runtime.queue, runtime.redis),
        anonymous_read=runtime.settings.anonymous_read,
        limits=OperationLimits.from_settings(runtime.settings),
        clusters=runtime.kube,
    )

    # Reports decide runs: they are monitoring's work, on monitoring's engine.
    batcher = ReportBatcher(runtime.session_factory)

    @asynccontextmanager
    async def enqueue_housekeeping(_app: Litestar) -> AsyncIterator[None]:
        # One housekeeping pass per start, de-duplicated across replicas that start together.
        if await runtime.queue.enqueue(HOUSEKEEPING, job_id="housekeeping:startup"):
            JOBS_ENQUEUED.labels(job=HOUSEKEEPING).inc()
        yield

    @asynccontextmanager
    async def record_reports(_app: Litestar) -> AsyncIterator[None]:
        async def commit_reports(control: LoopControl) -> None:
            await batcher.run(control.beat, quiet_after=control.quiet_interval)

        runtime.loops.start(REPORT_BATCHER, commit_reports)
        try:
            yield
        finally:
            await runtime.loops.stop(REPORT_BATCHER)

    return Litestar(
        route_handlers=[controller, *health_handlers(runtime), *report_handlers(runtime, batcher)],
        lifespan=[enqueue_housekeeping, record_reports],
        request_max_body_size=1024 * 1024,
        logging_config=None,
    )
