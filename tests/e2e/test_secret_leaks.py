"""Distinctive secrets go in through every door, and the test greps for them everywhere Patrol
writes: API answers and errors, DEBUG logs, Redis, the database, the temp directory."""

from __future__ import annotations

import base64
import os
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import select

from app.models import Run, RunStatus
from app.services.report_identity import report_secret
from tests.e2e.checkers import REPORT_TO_INJECTED_URL, python_script
from tests.fixtures.access import bearer
from tests.fixtures.database import DatabaseTarget
from tests.fixtures.logs import LogFile
from tests.fixtures.stack import PatrolStack, build_stack, eventually

MARK = f"LEAK{uuid.uuid4().hex[:12]}"
SECRETS = {
    "token": f"{MARK}-token",
    "new token": f"{MARK}-token-two",
    "ca": f"{MARK}-ca",
    "kubeconfig token": f"{MARK}-kube-token",
    "client key": f"{MARK}-client-key",
    "url password": f"{MARK}-url-password",
    "broken kubeconfig": f"{MARK}-broken",
    "exec plugin": f"{MARK}-exec",
}
CA = f"-----BEGIN CERTIFICATE-----\n{SECRETS['ca']}\n-----END CERTIFICATE-----\n"
UNREACHABLE = "https://127.0.0.1:9"


def kubeconfig(user: str) -> str:
    return (
        "apiVersion: v1\nkind: Config\ncurrent-context: x\n"
        f"clusters:\n- name: c\n  cluster: {{server: '{UNREACHABLE}'}}\n"
        f"users:\n- name: u\n  user: {user}\n"
        "contexts:\n- name: x\n  context: {cluster: c, user: u}\n"
    )


def needles(extra: list[str]) -> list[bytes]:
    """Each secret as text and as the base64 a kubeconfig would carry it in."""
    values = [*SECRETS.values(), *extra]
    return [form for value in values for form in (value.encode(), base64.b64encode(value.encode()))]


def leaks(where: str, haystack: bytes, extra: list[str]) -> list[str]:
    return [f"{where}: {needle!r}" for needle in needles(extra) if needle in haystack]


async def redis_contents(redis: Redis) -> bytes:
    dump = bytearray()
    async for key in redis.scan_iter(count=1000):
        dump += key
        kind = (await redis.type(key)).decode()
        if kind == "string":
            dump += await redis.get(key) or b""
        elif kind == "hash":
            for field, value in (await redis.hgetall(key)).items():
                dump += field + value
        elif kind == "zset":
            for member in await redis.zrange(key, 0, -1):
                dump += member
        elif kind == "list":
            for item in await redis.lrange(key, 0, -1):
                dump += item
        elif kind == "set":
            for member in await redis.smembers(key):
                dump += member
        elif kind == "stream":
            for _, fields in await redis.xrange(key):
                for field, value in fields.items():
                    dump += field + value
    return bytes(dump)


async def database_contents(database: DatabaseTarget, engine: AsyncEngine, data: Path) -> bytes:
    if database.schema is None:
        files = [path for path in data.parent.rglob("*.db*") if path.is_file()]
        return b"".join(path.read_bytes() for path in files)
    dump = bytearray()
    async with engine.connect() as connection:
        tables = await connection.run_sync(lambda sync: sa.inspect(sync).get_table_names())
        for table in tables:
            rows = await connection.execute(
                sa.text(f'SELECT row_to_json(t)::text FROM "{table}" t')
            )
            dump += "\n".join(row[0] for row in rows).encode()
    return bytes(dump)


def temp_files_written_since(started: float) -> Iterator[Path]:
    """Files in the temp directory written since `started`; other processes come and go there."""
    for directory, _, names in os.walk(tempfile.gettempdir(), onerror=lambda _error: None):
        for name in names:
            path = Path(directory) / name
            try:
                stat = path.stat()
            except OSError:
                continue
            if stat.st_mtime >= started and stat.st_size < 50e6 and path.is_file():
                yield path


async def test_no_secret_appears_in_answers_logs_redis_database_or_temp_files(
    tmp_path: Path,
    database_target: DatabaseTarget,
    engine: AsyncEngine,
    redis: Redis,
    redis_url: str,
    debug_logs: LogFile,
) -> None:
    started = time.time() - 1
    answers: list[str] = []
    issued_tokens: list[str] = []
    async with AsyncExitStack() as exit_stack:
        stack = await build_stack(exit_stack, tmp_path, database_target, engine, redis_url)
        await stack.start_worker()
        async with httpx.AsyncClient(
            base_url=stack.api_url, timeout=20, headers=bearer(stack.admin_token)
        ) as client:

            async def call(query: str, **variables: Any) -> dict[str, Any]:
                response = await client.post(
                    "/graphql", json={"query": query, "variables": variables}
                )
                answers.append(response.text)
                body: dict[str, Any] = response.json()
                return body

            cluster_ids = await exercise_clusters(call)
            issued = await call(
                'mutation { createApiToken(input: {name: "leaky", role: EDITOR}) { token } }'
            )
            issued_tokens.append(issued["data"]["createApiToken"]["token"])
            answers.pop()  # the one answer that must show the new token
            run_secrets = await exercise_runs(stack, call, cluster_ids)
            await exercise_fleet(call, cluster_ids)
            await call(
                "{ clusters { id name apiUrl context hasCredentials labels } "
                "auditLog(first: 50) { nodes { operation arguments message outcome } } }"
            )
        redis_dump = await redis_contents(redis)
        database_dump = await database_contents(database_target, engine, tmp_path / "data")
    logs = debug_logs.text()
    # The server did log, at DEBUG, about the clusters whose secrets it held.
    assert "pod creation failed" in logs and "leaky-token" in logs

    hidden = [*issued_tokens, *run_secrets]
    found = [
        *leaks("API answers", "\n".join(answers).encode(), hidden),
        *leaks("logs", logs.encode(), hidden),
        *leaks("Redis", redis_dump, hidden),
        *leaks("database", database_dump, hidden),
    ]
    for path in temp_files_written_since(started):
        try:
            found += leaks(f"temp file {path}", path.read_bytes(), hidden)
        except OSError:
            continue
    assert found == []


async def exercise_clusters(call: Any) -> list[str]:
    """Register clusters with secrets, edit them, and try every bad way in; returns their ids."""
    client_key = base64.b64encode(SECRETS["client key"].encode()).decode()
    token_cluster = await call(
        "mutation($i: CreateClusterInput!) { createCluster(input: $i) { id } }",
        i={
            "name": "leaky-token",
            "connectionKind": "TOKEN",
            "apiUrl": UNREACHABLE,
            "token": SECRETS["token"],
            "caCert": CA,
        },
    )
    kubeconfig_cluster = await call(
        "mutation($i: CreateClusterInput!) { createCluster(input: $i) { id } }",
        i={
            "name": "leaky-kubeconfig",
            "connectionKind": "KUBECONFIG",
            "kubeconfig": kubeconfig(
                f"{{token: {SECRETS['kubeconfig token']}, client-key-data: {client_key}}}"
            ),
        },
    )
    ids = [
        token_cluster["data"]["createCluster"]["id"],
        kubeconfig_cluster["data"]["createCluster"]["id"],
    ]
    await call(
        "mutation($i: UpdateClusterInput!) { updateCluster(input: $i) { id } }",
        i={"id": ids[0], "token": SECRETS["new token"]},
    )
    refusals = [
        {
            "name": "bad-url",
            "connectionKind": "TOKEN",
            "apiUrl": f"https://admin:{SECRETS['url password']}@10.0.0.1",
            "token": SECRETS["token"],
        },
        {
            "name": "bad-yaml",
            "connectionKind": "KUBECONFIG",
            "kubeconfig": f"users: [{{token: {SECRETS['broken kubeconfig']}",
        },
        {
            "name": "bad-exec",
            "connectionKind": "KUBECONFIG",
            "kubeconfig": kubeconfig(f"{{exec: {{command: {SECRETS['exec plugin']}}}}}"),
        },
    ]
    for refused in refusals:
        answer = await call(
            "mutation($i: CreateClusterInput!) { createCluster(input: $i) { id } }", i=refused
        )
        assert answer["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    return ids


async def exercise_fleet(call: Any, cluster_ids: list[str]) -> None:
    """Health probes fail with the credentials in hand, and deleting a cluster that cannot be
    reached is refused with the reason."""

    async def probed() -> bool:
        answer = await call(
            "{ clusters { name reportUrl health { status lastError serverVersion } } "
            "fleet { clusters unreachableClusters } }"
        )
        statuses = {c["name"]: c["health"]["status"] for c in answer["data"]["clusters"]}
        return statuses.get("leaky-token") == statuses.get("leaky-kubeconfig") == "UNREACHABLE"

    await eventually(probed, timeout=45)
    refused = await call("mutation($id: ID!) { deleteCluster(id: $id) }", id=cluster_ids[0])
    assert refused["errors"][0]["extensions"]["code"] == "CLUSTER_UNREACHABLE"


async def exercise_runs(stack: PatrolStack, call: Any, cluster_ids: list[str]) -> list[str]:
    """Run a check in the clusters whose credentials are real but whose API is unreachable, so
    launches, watches and the reaper all fail with those credentials in hand; and in the local
    cluster, where it reports. Returns the runs' report secrets."""
    created = await call(
        "mutation($i: CreateCheckInput!) { createCheck(input: $i) { id } }",
        i={
            "name": "leaky",
            "namespace": "default",
            "timeout": "10s",  # room for a loaded machine; unreachable clusters time out then
            "clusterIds": [*cluster_ids, str(stack.cluster.id)],
            "podSpec": python_script(REPORT_TO_INJECTED_URL),
        },
    )
    check_id = created["data"]["createCheck"]["id"]
    await call("mutation($id: ID!) { triggerCheck(id: $id) { id } }", id=check_id)

    async def all_decided() -> bool:
        async with stack.runtime.session_factory() as session:
            runs = (await session.exec(select(Run))).all()
        return (
            len(runs) == 3
            and all(run.status is not RunStatus.RUNNING for run in runs)
            and all(run.status.is_terminal for run in runs)
        )

    await eventually(all_decided, timeout=60)
    await call(
        "{ runs { nodes { id status errors failureReason podName cluster { name } } } }",
    )
    async with stack.runtime.session_factory() as session:
        runs = (await session.exec(select(Run))).all()
    assert any(run.status is RunStatus.SUCCEEDED for run in runs)  # the local run reported
    return [report_secret(stack.runtime.keyring, run.id) for run in runs]
