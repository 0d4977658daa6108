"""Long-running entry points: the API server with its in-process worker, a lone worker, migrations."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack

import uvicorn

from app.asgi import create_app
from app.localcluster import LocalCluster
from app.logging import get_logger
from app.runtime import Runtime
from app.services.local_cluster import (
    KUBERHEALTHY_IMAGE_EQUIVALENTS,
    LOCAL_CLUSTER_NAME,
    register_local_cluster,
)
from app.settings import Settings
from app.startup import (
    check_database,
    describe_database,
    open_engine,
    prepare_schema,
    resolve_redis_url,
)
from workers.background import background_loops
from workers.settings import create_worker

log = get_logger(__name__)


async def open_runtime(settings: Settings, stack: AsyncExitStack, *, upgrade: bool) -> Runtime:
    redis_url = await resolve_redis_url(settings, stack)
    engine = open_engine(settings)
    stack.push_async_callback(engine.dispose)
    await check_database(engine)
    await prepare_schema(engine, upgrade=upgrade)
    runtime = await Runtime.open(settings, redis_url=redis_url, engine=engine)
    stack.push_async_callback(runtime.close)
    return runtime


async def start_local_cluster(runtime: Runtime, stack: AsyncExitStack) -> None:
    local = LocalCluster(image_commands=KUBERHEALTHY_IMAGE_EQUIVALENTS)
    url = await local.start(port=runtime.settings.local_cluster_port)
    stack.push_async_callback(local.stop)
    async with runtime.session_factory() as session:
        await register_local_cluster(session, url)
    log.info("local cluster started", url=url, cluster=LOCAL_CLUSTER_NAME)


async def serve(settings: Settings, *, with_worker: bool = True) -> None:
    async with AsyncExitStack() as stack:
        # The embedded SQLite database is ours to migrate; an external one is upgraded on purpose.
        runtime = await open_runtime(settings, stack, upgrade=settings.database_url is None)
        if settings.local_cluster:
            await start_local_cluster(runtime, stack)
        server = uvicorn.Server(
            uvicorn.Config(
                create_app(runtime),
                host=settings.host,
                port=settings.port,
                log_config=None,
                ws="websockets-sansio",
                lifespan="on",
            )
        )
        log.info(
            "patrol starting",
            url=f"http://{settings.host}:{settings.port}/graphql",
            database=describe_database(settings.resolved_database_url),
            embedded_redis=settings.uses_embedded_redis,
        )
        tasks = [asyncio.create_task(server.serve(), name="api")]
        if with_worker:
            worker = create_worker(runtime, handle_signals=False)
            tasks.append(asyncio.create_task(worker.async_run(), name="worker"))
            await stack.enter_async_context(background_loops(runtime))
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()
        finally:
            server.should_exit = True
            if with_worker:
                await worker.close()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)


async def run_worker(settings: Settings) -> None:
    async with AsyncExitStack() as stack:
        runtime = await open_runtime(settings, stack, upgrade=False)
        worker = create_worker(runtime, handle_signals=False)
        await stack.enter_async_context(background_loops(runtime))
        log.info("worker starting")
        try:
            await worker.async_run()
        finally:
            await worker.close()
