"""`patrol serve` on its embedded defaults, as a new user runs it: a subprocess, real HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.fixtures.access import bearer
from tests.fixtures.stack import eventually


@dataclass(frozen=True)
class Serve:
    url: str
    process: asyncio.subprocess.Process

    async def kill(self) -> None:
        """SIGKILL: no shutdown of any kind."""
        self.process.kill()
        await self.process.wait()


def serve_environment(data_dir: Path, port: int, *, public_url: bool = True) -> dict[str, str]:
    """This environment without its PATROL_ settings, plus the data directory and port (and the
    public URL, unless `public_url` is False: then Patrol must find it by itself)."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith("PATROL_")}
    environment |= {"PATROL_DATA_DIR": str(data_dir), "PATROL_PORT": str(port)}
    if public_url:
        environment["PATROL_PUBLIC_URL"] = f"http://127.0.0.1:{port}"
    return environment


@asynccontextmanager
async def patrol_serve(
    data_dir: Path, port: int, *, public_url: bool = True, log: Path | None = None
) -> AsyncIterator[Serve]:
    """A running `patrol serve`, stopped with SIGTERM at the end unless it was killed; the admin
    token the first start created is in data_dir/admin.token. Its output is appended to `log`,
    in JSON lines."""
    environment = serve_environment(data_dir, port, public_url=public_url)
    with contextlib.ExitStack() as files:
        output = files.enter_context(log.open("a")) if log else asyncio.subprocess.DEVNULL
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "app.cli",
            "serve",
            env=environment | ({"PATROL_LOG_FORMAT": "json"} if log else {}),
            stdout=output,
            stderr=output,
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
        yield Serve(url, process)
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(process.wait(), timeout=30) == 0


async def refused_start(environment: dict[str, str]) -> tuple[int | None, list[str]]:
    """A `patrol serve` expected to stop at once: its exit code and its `error: ` lines."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app.cli",
        "serve",
        env=environment,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(process.communicate(), 60)
    errors = [line for line in stderr.decode().splitlines() if line.startswith("error: ")]
    return process.returncode, errors


async def gql(url: str, token: str, query: str, **variables: Any) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=url, timeout=10, headers=bearer(token)) as client:
        response = await client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


CREATE_CHECK = """
mutation($input: CreateCheckInput!) { createCheck(input: $input) { id name enabled version } }
"""
