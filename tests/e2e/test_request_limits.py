"""Limits on what one request may ask, over real HTTP and websockets: a clear 4xx or GraphQL error,
never a 500, and other requests keep being served meanwhile."""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from app.asgi import create_app
from tests.e2e.test_access import open_socket, ws_query
from tests.fixtures.access import bearer
from tests.fixtures.stack import PatrolStack, shell_checker

CREATE_CHECK = "mutation($input: CreateCheckInput!) { createCheck(input: $input) { id } }"


def check_input(stack: PatrolStack, name: str, pod_spec: Any) -> dict[str, Any]:
    return {
        "name": name,
        "namespace": "default",
        "timeout": "10s",
        "podSpec": pod_spec,
        "clusterIds": [str(stack.cluster.id)],
    }


def nested(depth: int) -> str:
    """JSON text of objects nested `depth` deep (too deep for json.dumps to write)."""
    return '{"x":' * depth + '"leaf"' + "}" * depth


def post_json(client: httpx.AsyncClient, text: str | bytes) -> Any:
    return client.post("/graphql", content=text, headers={"content-type": "application/json"})


@pytest.fixture
async def client(api_stack: PatrolStack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=api_stack.api_url, timeout=30, headers=bearer(api_stack.admin_token)
    ) as client:
        yield client


@asynccontextmanager
async def loop_lag() -> AsyncIterator[list[float]]:
    """The longest the event loop (the API's too: it runs in this loop) went without running a
    ticker that wants to run every 5 ms."""
    worst = [0.0]
    loop = asyncio.get_running_loop()
    # What this measures is the request's own work; collections walking what a thousand earlier
    # tests left in this process are not (`patrol serve` freezes its start-up heap the same way).
    gc.freeze()

    async def tick() -> None:
        while True:
            before = loop.time()
            await asyncio.sleep(0.005)
            worst[0] = max(worst[0], loop.time() - before - 0.005)

    ticker = asyncio.create_task(tick())
    try:
        yield worst
    finally:
        ticker.cancel()
        await asyncio.gather(ticker, return_exceptions=True)
        gc.unfreeze()


async def test_a_request_body_nested_too_deeply_is_a_400(client: httpx.AsyncClient) -> None:
    body = f'{{"query": {json.dumps(CREATE_CHECK)}, "variables": {{"input": {nested(3_000)}}}}}'
    response = await post_json(client, body)
    assert response.status_code == 400
    assert response.text == "The request body is refused: JSON nests deeper than 64 levels."


async def test_variables_nested_too_deeply_in_a_get_request_are_a_400(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get(
        "/graphql",
        params={"query": "{ me { role } }", "variables": f'{{"x": {nested(100)}}}'},
    )
    assert response.status_code == 400


@pytest.mark.parametrize("body", [b"\xff\xfe\xfd", b'{"query": "\xff"}', b"[" * 100_000])
async def test_a_request_body_that_is_not_json_is_a_400(
    client: httpx.AsyncClient, body: bytes
) -> None:
    response = await post_json(client, body)
    assert response.status_code == 400


async def test_a_websocket_message_nested_too_deeply_closes_only_that_socket(
    api_stack: PatrolStack,
) -> None:
    token = {"Authorization": f"Bearer {api_stack.admin_token}"}
    socket, answer = await open_socket(api_stack, token)
    async with socket:
        assert answer["type"] == "connection_ack"
        await socket.send(f'{{"id": "1", "type": "subscribe", "payload": {nested(5_000)}}}')
        await socket.wait_closed()
        assert socket.close_code == 4400
    socket, answer = await open_socket(api_stack, token)
    async with socket:
        me = await ws_query(socket, "{ me { role } }")
        assert me["payload"]["data"]["me"] == {"role": "ADMIN"}


async def test_a_pod_spec_nested_3000_levels_deep_is_refused(
    api_stack: PatrolStack, client: httpx.AsyncClient
) -> None:
    body = json.dumps(
        {"query": CREATE_CHECK, "variables": {"input": check_input(api_stack, "deep", "SPEC")}}
    ).replace('"SPEC"', f'{{"containers": [{{"name": "c", "image": "x", "env": {nested(3_000)}}}]}}')
    response = await post_json(client, body)
    assert response.status_code == 400


async def test_a_megabyte_pod_spec_is_refused_without_stalling_other_requests(
    api_stack: PatrolStack, client: httpx.AsyncClient
) -> None:
    env = [{"name": f"VARIABLE_{n}", "value": "v" * 64} for n in range(8_000)]
    env.append({"name": "LONG", "value": "w" * 200_000})
    spec = {"containers": [{"name": "c", "image": "x", "env": env}]}
    body = {"query": CREATE_CHECK, "variables": {"input": check_input(api_stack, "big", spec)}}
    assert len(json.dumps(body)) > 900_000

    async with loop_lag() as worst:
        response = await client.post("/graphql", json=body)

    errors = response.json().get("errors")
    assert errors, response.text[:500]
    assert [error["extensions"]["code"] for error in errors] == ["BAD_USER_INPUT"]
    assert "at most 262144 (256 KiB)" in errors[0]["message"]
    # Once over a minute (URL-credential masking backtracked on the long value), then 0.4 s.
    assert worst[0] < 0.5


async def test_a_pod_spec_just_under_256_kib_is_accepted(
    api_stack: PatrolStack, client: httpx.AsyncClient
) -> None:
    container = shell_checker("exit 0")["containers"][0]
    spec = {
        "containers": [
            {**container, "env": [{"name": f"V{n}", "value": "v" * 64} for n in range(2_800)]}
        ]
    }
    assert 250_000 < len(json.dumps(spec, separators=(",", ":"))) < 256 * 1024
    body = {"query": CREATE_CHECK, "variables": {"input": check_input(api_stack, "wide", spec)}}
    response = await client.post("/graphql", json=body)
    assert response.json()["data"]["createCheck"]["id"]



async def test_operation_limits_come_from_the_settings(api_stack: PatrolStack) -> None:
    settings = api_stack.runtime.settings.model_copy(
        update={"graphql_max_depth": 2, "graphql_max_cost": 20, "graphql_timeout_seconds": 5}
    )
    app = create_app(dataclasses.replace(api_stack.runtime, settings=settings))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://patrol",
        headers=bearer(api_stack.admin_token),
    ) as client:
        deep = await client.post("/graphql", json={"query": "{ runs { nodes { id } } }"})
        costly = await client.post("/graphql", json={"query": "{ runs(first: 20) { totalCount } }"})
        within = await client.post("/graphql", json={"query": "{ me { role } }"})
    assert deep.status_code == 200
    assert deep.json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_DEEP"
    assert costly.json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert within.json() == {"data": {"me": {"role": "ADMIN"}}}
