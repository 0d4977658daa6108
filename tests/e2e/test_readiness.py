"""/readyz over real HTTP: ready while the database, Redis and every essential loop of the process
answer; unready, naming what is down and since when, while one does not."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from redis.asyncio import Redis

from app.supervision import LoopControl
from tests.fixtures.http_target import free_port
from tests.fixtures.stack import PatrolStack, eventually, patrol_settings


async def readyz(stack: PatrolStack) -> tuple[int, dict[str, Any]]:
    async with httpx.AsyncClient(base_url=stack.api_url, timeout=10) as client:
        response = await client.get("/readyz")
    body: dict[str, Any] = response.json()
    return response.status_code, body


async def test_readyz_lists_every_loop_of_serve_and_is_ready_when_all_answer(
    api_stack: PatrolStack,
) -> None:
    await api_stack.start_worker(in_api_process=True)

    async def watching() -> tuple[int, dict[str, Any]] | None:
        status, body = await readyz(api_stack)
        return (status, body) if "watch:local" in body["loops"] else None

    status, body = await eventually(watching, timeout=20)
    assert status == 200, body
    assert body["status"] == "ready" and body["down"] == [] and body["degraded"] == []
    assert set(body["loops"]) == {
        "report-batcher",
        "jobs",
        "event-listener",
        "scheduler",
        "pod-watchers",
        "finalize-sweep",
        "deadline-sweep",
        "alert-engine",
        "alert-tick",
        "alert-delivery",
        "watch:local",
        "health:local",
    }


@patrol_settings(loop_stale_after_seconds=2)
async def test_a_hung_loop_makes_readyz_unready_with_its_name_and_ready_again_when_it_recovers(
    api_stack: PatrolStack,
) -> None:
    responsive = asyncio.Event()
    responsive.set()

    async def sometimes_hangs(control: LoopControl) -> None:
        while True:
            await responsive.wait()
            control.beat()
            await asyncio.sleep(0.1)

    api_stack.runtime.loops.start("sometimes-hangs", sometimes_hangs)
    assert (await readyz(api_stack))[0] == 200

    responsive.clear()

    async def unready() -> dict[str, Any] | None:
        status, body = await readyz(api_stack)
        return body if status == 503 else None

    body = await eventually(unready, timeout=15)
    assert body["status"] == "unready"
    (down,) = body["down"]
    assert down["name"] == "loop:sometimes-hangs"
    assert down["reason"] == "no heartbeat within the threshold"
    assert down["since"] is not None

    responsive.set()

    async def ready() -> bool:
        return (await readyz(api_stack))[0] == 200

    await eventually(ready, timeout=15)


async def test_readyz_is_unready_naming_redis_while_redis_does_not_answer(
    api_stack: PatrolStack,
) -> None:
    runtime = api_stack.runtime
    reachable = runtime.redis
    # Nothing listens there: a Redis that went away, as the process sees it.
    runtime.redis = Redis.from_url(f"redis://127.0.0.1:{free_port()}/0")
    try:
        status, body = await readyz(api_stack)
        assert status == 503
        (down,) = body["down"]
        assert down["name"] == "redis" and down["reason"].startswith("ConnectionError")
        assert (await readyz(api_stack))[1]["down"][0]["since"] == down["since"]
    finally:
        await runtime.redis.aclose()
        runtime.redis = reachable
    assert (await readyz(api_stack))[0] == 200
