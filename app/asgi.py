"""The Litestar application: GraphQL API, reports, health and metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar

from app.api.authentication import graphql_controller
from app.api.limits import OperationLimits
from app.console import console_assets, console_directory
from app.health import health_handlers
from app.job_names import HOUSEKEEPING
from app.logging import get_logger
from app.metrics import JOBS_ENQUEUED
from app.report_endpoint import report_handlers
from app.runtime import Runtime
from app.services.dispatch import QueueDispatcher
from app.services.event_fanout import EventFanout
from app.services.live_logs import LiveLogLimits, LiveLogs
from app.services.report_batcher import ReportBatcher
from app.status_endpoint import status_handlers
from app.supervision import LoopControl

log = get_logger(__name__)
REPORT_BATCHER = "report-batcher"
EVENT_LISTENER = "event-listener"
# The largest request body the API takes (GraphQL included).
MAX_REQUEST_BYTES = 1024 * 1024


def create_app(runtime: Runtime) -> Litestar:
    # Subscriptions are API work: the listener reads the log on the API's engine.
    live = EventFanout(
        runtime.api_session_factory,
        queue_size=runtime.settings.live_queue_size,
        poll_interval=runtime.settings.live_poll_seconds,
    )
    controller = graphql_controller(
        runtime.api_session_factory,
        runtime.keyring,
        QueueDispatcher(runtime.queue, runtime.redis, runtime.event_nudges),
        live,
        anonymous_read=runtime.settings.anonymous_read,
        limits=OperationLimits.from_settings(runtime.settings),
        clusters=runtime.kube,
        live_logs=LiveLogs(
            runtime.api_session_factory,
            runtime.kube,
            LiveLogLimits.from_settings(runtime.settings),
            live,
        ),
    )

    # Reports decide runs: they are monitoring's work, on monitoring's engine.
    batcher = ReportBatcher(runtime.session_factory, runtime.event_nudges)

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

    @asynccontextmanager
    async def follow_event_log(_app: Litestar) -> AsyncIterator[None]:
        async def listen(control: LoopControl) -> None:
            await live.listen(runtime.redis, control.beat)

        # Live updates down leave queries and monitoring working: the process is degraded,
        # not out of service.
        runtime.loops.start(EVENT_LISTENER, listen, essential=False)
        try:
            yield
        finally:
            await runtime.loops.stop(EVENT_LISTENER)

    app = Litestar(
        route_handlers=[
            controller,
            *health_handlers(runtime),
            *report_handlers(runtime, batcher),
            *status_handlers(runtime),
            *console_assets(console_directory(runtime.settings.console_dir)),
        ],
        lifespan=[enqueue_housekeeping, record_reports, follow_event_log],
        request_max_body_size=MAX_REQUEST_BYTES,
        logging_config=None,
    )
    app.state.live = live
    return app
