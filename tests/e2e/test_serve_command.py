"""`patrol serve` on its embedded defaults, as a new user runs it: a subprocess, real HTTP."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import stat
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import websockets

from tests.fixtures.access import bearer
from tests.fixtures.http_target import free_port
from tests.fixtures.stack import eventually


@asynccontextmanager
async def patrol_serve(data_dir: Path, port: int) -> AsyncIterator[str]:
    """Yields the API's URL; the admin token the first start created is in data_dir/admin.token."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith("PATROL_")}
    environment |= {
        "PATROL_DATA_DIR": str(data_dir),
        "PATROL_PORT": str(port),
        "PATROL_PUBLIC_URL": f"http://127.0.0.1:{port}",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app.cli",
        "serve",
        env=environment,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=url, timeout=5) as client:

            async def healthy() -> bool:
                try:
                    return (await client.get("/healthz")).status_code == 200
                except httpx.TransportError:
                    assert process.returncode is None, "patrol serve exited"
                    return False

            await eventually(healthy, timeout=30)
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), timeout=30) == 0


async def gql(url: str, token: str, query: str, **variables: Any) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=url, timeout=10, headers=bearer(token)) as client:
        response = await client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


CREATE_CHECK = """
mutation($input: CreateCheckInput!) { createCheck(input: $input) { id name enabled version } }
"""


async def test_a_new_user_creates_pauses_and_finds_checks_again_after_a_restart(
    tmp_path: Path,
) -> None:
    port = free_port()
    async with patrol_serve(tmp_path / "data", port) as url:
        token_file = tmp_path / "data" / "admin.token"
        assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
        token = token_file.read_text().strip()
        async with httpx.AsyncClient(base_url=url, timeout=10) as anonymous:
            refused = await anonymous.post("/graphql", json={"query": "{ clusters { id } }"})
        assert refused.status_code == 401
        clusters = (await gql(url, token, "{ clusters { id name connectionKind } }"))["data"][
            "clusters"
        ]
        assert [cluster["name"] for cluster in clusters] == ["local"]
        local_id = clusters[0]["id"]
        spec = {
            "containers": [
                {
                    "name": "c",
                    "image": "kuberhealthy/http-check:v1.5.0",
                    "env": [{"name": "CHECK_URL", "value": f"{url}/healthz"}],
                }
            ]
        }
        created = await gql(
            url,
            token,
            CREATE_CHECK,
            input={
                "name": "self",
                "namespace": "default",
                "runInterval": "1h",
                "timeout": "20s",
                "clusterIds": [local_id],
                "podSpec": spec,
            },
        )
        check_id = created["data"]["createCheck"]["id"]
        bad = await gql(
            url,
            token,
            CREATE_CHECK,
            input={
                "name": "bad",
                "namespace": "default",
                "runInterval": "1 minute",
                "timeout": "20s",
                "clusterIds": [local_id],
                "podSpec": spec,
            },
        )
        assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        paused = await gql(
            url, token, "mutation($id: ID!) { pauseCheck(id: $id) { enabled } }", id=check_id
        )
        assert paused["data"]["pauseCheck"]["enabled"] is False

        async def first_run_succeeded() -> bool:
            runs = await gql(url, token, "{ runs(first: 5) { edges { node { status } } } }")
            return [edge["node"]["status"] for edge in runs["data"]["runs"]["edges"]] == [
                "SUCCEEDED"
            ]

        await eventually(first_run_succeeded, timeout=30)

    async with patrol_serve(tmp_path / "data", port) as url:
        assert (tmp_path / "data" / "admin.token").read_text().strip() == token
        checks = await gql(url, token, "{ checks { edges { node { name enabled runInterval } } } }")
        assert [edge["node"] for edge in checks["data"]["checks"]["edges"]] == [
            {"name": "self", "enabled": False, "runInterval": "1h0m0s"}
        ]
        async with websockets.connect(
            f"ws://127.0.0.1:{port}/graphql",
            subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
        ) as socket:
            await socket.send(
                json.dumps(
                    {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
                )
            )
            assert json.loads(await socket.recv())["type"] == "connection_ack"
            await socket.send(
                json.dumps(
                    {"id": "1", "type": "subscribe", "payload": {"query": "{ clusters { name } }"}}
                )
            )
            message = json.loads(await asyncio.wait_for(socket.recv(), timeout=10))
        assert message["type"] == "next"
        assert message["payload"]["data"] == {"clusters": [{"name": "local"}]}
