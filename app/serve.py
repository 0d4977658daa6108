"""Long-running entry points: the API server with its in-process worker, a lone worker, migrations."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import signal
import socket
from collections.abc import Awaitable, Callable, Iterator
from contextlib import AsyncExitStack
from typing import Any

import uvicorn
from litestar import Litestar

from app.asgi import create_app
from app.data_directory_lock import hold_data_directory
from app.db import SessionFactory, create_session_factory
from app.embedded_local_cluster import register as register_local_cluster
from app.embedded_local_cluster import start_local_cluster
from app.health import create_health_app
from app.listener import listen
from app.logging import get_logger
from app.runtime import Runtime
from app.settings import Settings
from app.startup import (
    PublicUrl,
    StartupError,
    bootstrap_admin_token,
    check_database,
    describe_database,
    establish_public_url,
    find_public_url,
    load_keyring,
    open_engines,
    prepare_schema,
    resolve_redis_url,
)
from workers.background import background_loops
from workers.loops.jobs import job_worker

log = get_logger(__name__)


class ApiServer(uvicorn.Server):
    """uvicorn that returns after SIGINT/SIGTERM instead of re-raising the signal, so that Patrol
    still stops its worker, local cluster and embedded Redis in order."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        signals = (signal.SIGINT, signal.SIGTERM)
        originals = {signum: signal.signal(signum, self.handle_exit) for signum in signals}
        try:
            yield
        finally:
            for signum, handler in originals.items():
                signal.signal(signum, handler)


class HealthServer(uvicorn.Server):
    """uvicorn beside a worker, which handles SIGINT/SIGTERM itself."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


# Python's cycle collector walks every tracked object in a full collection: with a thousand live
# subscriptions, full collections stalled every update for up to a second
# (bench/subscription_latency.py). Collecting the youngest generation every 100,000 allocations
# rather than 700 lets short-lived objects die before they are promoted, so full collections
# become rare; what it costs is at most that many objects of cyclic garbage waiting.
GC_THRESHOLDS = (100_000, 50, 100)


def tune_garbage_collection() -> None:
    """For a long-running process: rarer collections, and none of them walking what start-up
    made (modules, the schema), which lives as long as the process."""
    gc.set_threshold(*GC_THRESHOLDS)
    gc.freeze()


# Requests and websockets still open this long after SIGTERM are cancelled, so that Patrol stops
# well within Kubernetes' default 30 s grace however its clients behave.
GRACEFUL_SHUTDOWN_SECONDS = 10


def api_server_config(app: Litestar, **options: Any) -> uvicorn.Config:
    """uvicorn as Patrol runs it. By default uvicorn takes X-Forwarded-For from 127.0.0.1 as the
    client address, which would let any local process claim a pod's IP for the report pod-IP
    fallback; and its access log would print reporting URLs, secrets included."""
    return uvicorn.Config(
        app,
        proxy_headers=False,
        access_log=False,
        log_config=None,
        lifespan="on",
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        **options,
    )


async def open_runtime(
    settings: Settings,
    stack: AsyncExitStack,
    *,
    upgrade: bool,
    public_url: Callable[[Settings, SessionFactory], Awaitable[PublicUrl]],
) -> Runtime:
    keyring = load_keyring(settings)
    redis_url = await resolve_redis_url(settings, stack)
    engines = open_engines(settings)
    stack.push_async_callback(engines.dispose)
    await check_database(engines.background)
    await prepare_schema(engines.background, upgrade=upgrade, keyring=keyring)
    chosen = await public_url(settings, create_session_factory(engines.background))
    runtime = await Runtime.open(
        settings,
        redis_url=redis_url,
        engine=engines.background,
        api_engine=engines.api,
        keyring=keyring,
        public_url=chosen.url,
    )
    stack.push_async_callback(runtime.close)
    return runtime


async def serve(settings: Settings, *, with_worker: bool = True) -> None:
    async with AsyncExitStack() as stack:
        stack.callback(log.info, "patrol stopped")  # the first registered, so the last to run
        # Nothing may change before these two: a second start on the same data directory, or on
        # a taken port, would otherwise re-register the running instance's local cluster.
        if settings.uses_data_directory:
            stack.enter_context(hold_data_directory(settings.data_dir))
        listener = listen(settings.host, settings.port)
        stack.callback(listener.close)
        # With port 0, the public URL and the log name the port actually bound.
        settings = settings.model_copy(update={"port": listener.getsockname()[1]})
        local = await start_local_cluster(settings, stack) if settings.local_cluster else None
        # The embedded SQLite database is ours to migrate; an external one is upgraded on purpose.
        runtime = await open_runtime(
            settings,
            stack,
            upgrade=settings.uses_embedded_database,
            public_url=establish_public_url,
        )
        await bootstrap_admin_token(settings, runtime.session_factory, runtime.keyring)
        if local is not None:
            await register_local_cluster(runtime, local)
        server = ApiServer(
            api_server_config(
                create_app(runtime),
                host=settings.host,
                port=settings.port,
                ws="websockets-sansio",
            )
        )
        log.info(
            "patrol starting",
            url=f"http://{settings.host}:{settings.port}/graphql",
            database=describe_database(settings.resolved_database_url),
            embedded_redis=settings.uses_embedded_redis,
        )
        if with_worker:
            await start_worker(runtime, stack)
        tune_garbage_collection()
        # uvicorn handles SIGINT/SIGTERM: when it returns, the exit stack stops everything else.
        await server.serve(sockets=[listener])
        log.info("patrol stopping: the API has stopped, stopping the rest")


async def start_worker(runtime: Runtime, stack: AsyncExitStack) -> None:
    """The job loop plus the scheduler and pod watches, stopped gracefully with `stack`."""
    await stack.enter_async_context(job_worker(runtime))
    await stack.enter_async_context(background_loops(runtime))


async def run_worker(settings: Settings) -> None:
    async with AsyncExitStack() as stack:
        runtime = await open_runtime(settings, stack, upgrade=False, public_url=find_public_url)
        await start_worker(runtime, stack)
        if settings.worker_health_port is not None:
            await serve_health(runtime, stack, settings.host, settings.worker_health_port)
        tune_garbage_collection()
        log.info("worker started")
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stopping.set)
        await stopping.wait()
        log.info("worker stopping")


async def serve_health(runtime: Runtime, stack: AsyncExitStack, host: str, port: int) -> None:
    """/healthz, /readyz and /metrics of a worker, for its orchestrator and Prometheus."""
    try:
        listener = socket.create_server((host, port))
    except OSError as error:
        raise StartupError(f"cannot serve health checks on {host}:{port}: {error}") from None
    stack.callback(listener.close)
    server = HealthServer(api_server_config(create_health_app(runtime)))
    serving = asyncio.create_task(server.serve(sockets=[listener]), name="health-server")

    async def stop() -> None:
        server.should_exit = True
        await asyncio.gather(serving, return_exceptions=True)

    stack.push_async_callback(stop)
    while not server.started:
        if serving.done():
            raise StartupError(f"cannot serve health checks on {host}:{port}")
        await asyncio.sleep(0.05)
    log.info("health checks served", url=f"http://{host}:{port}/readyz")
