"""`patrol serve` on its embedded defaults, as a new user runs it: a subprocess, real HTTP."""

from __future__ import annotations

import asyncio
import json
import stat
from pathlib import Path

import httpx
import websockets

from tests.e2e.serve import CREATE_CHECK, gql, patrol_serve
from tests.fixtures.http_target import free_port
from tests.fixtures.stack import eventually


async def test_a_new_user_creates_pauses_and_finds_checks_again_after_a_restart(
    tmp_path: Path,
) -> None:
    port = free_port()
    async with patrol_serve(tmp_path / "data", port) as serve:
        url = serve.url
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

    async with patrol_serve(tmp_path / "data", port) as serve:
        url = serve.url
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
