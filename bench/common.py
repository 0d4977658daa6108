"""Pieces the benchmark scripts share: a Patrol runtime on a throwaway database and Redis."""

from __future__ import annotations

import asyncio
import base64
import socket
import statistics
import sys
import tempfile
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from sqlmodel import SQLModel

import app.models  # noqa: F401
from app.adapters.redis_server import EmbeddedRedis
from app.db import create_engines
from app.keyring import generate_key
from app.runtime import Runtime
from app.settings import Settings
from app.startup import load_keyring, pool_settings


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def summary(values: Sequence[float]) -> str:
    return (
        f"n={len(values)} p50={percentile(values, 0.5) * 1000:.1f} ms "
        f"p99={percentile(values, 0.99) * 1000:.1f} ms max={max(values) * 1000:.1f} ms "
        f"mean={statistics.fmean(values) * 1000:.1f} ms"
    )


@asynccontextmanager
async def bench_runtime(
    database_url: str | None, redis_url: str | None, public_url: str, **setting_overrides: Any
) -> AsyncIterator[Runtime]:
    """A Runtime on a fresh schema: a temporary SQLite file by default, or the given database."""
    async with AsyncExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="patrol-bench-")))
        if redis_url is None:
            server = EmbeddedRedis(workdir / "redis.db")
            server.start()
            stack.callback(server.stop)
            redis_url = server.url
        url = database_url or f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
        settings = Settings(
            data_dir=workdir,
            public_url=public_url,
            local_cluster=False,
            secret_key=generate_key(),  # type: ignore[arg-type]
            **setting_overrides,
        )
        # Monitoring's engine and the API's, as `patrol serve` opens them.
        engines = create_engines(url, schema=None, pools=pool_settings(settings))
        stack.push_async_callback(engines.dispose)
        async with engines.background.begin() as connection:
            await connection.run_sync(SQLModel.metadata.drop_all)
            await connection.run_sync(SQLModel.metadata.create_all)
        runtime = await Runtime.open(
            settings,
            redis_url=redis_url,
            engine=engines.background,
            api_engine=engines.api,
            keyring=load_keyring(settings),
        )
        stack.push_async_callback(runtime.close)
        await runtime.redis.flushdb()
        yield runtime


@dataclass(frozen=True)
class LocalClusterAccess:
    url: str
    token: str
    ca_cert: str


@asynccontextmanager
async def local_cluster_process() -> AsyncIterator[LocalClusterAccess]:
    """`patrol local-cluster` in its own process, as a real cluster would be; its URL, token and
    certificate come from the kubeconfig it prints, as a user would take them."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app.cli",
        "local-cluster",
        "--port",
        "0",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    assert process.stdout is not None
    draining: asyncio.Task[bytes] | None = None
    try:
        kubeconfig = await asyncio.wait_for(read_printed_kubeconfig(process.stdout), 30)
        # The cluster may log to stdout: keep reading so that it never blocks on a full pipe.
        draining = asyncio.create_task(process.stdout.read())
        cluster = kubeconfig["clusters"][0]["cluster"]
        yield LocalClusterAccess(
            url=cluster["server"],
            token=kubeconfig["users"][0]["user"]["token"],
            ca_cert=base64.b64decode(cluster["certificate-authority-data"]).decode(),
        )
    finally:
        if process.returncode is None:
            process.terminate()
        await asyncio.wait_for(process.wait(), 15)
        if draining is not None:
            await draining


async def read_printed_kubeconfig(stdout: asyncio.StreamReader) -> dict[str, Any]:
    """The YAML after the `kubeconfig:` line, which ends at the first blank line."""
    lines: list[str] = []
    seen_header = False
    while True:
        raw = await stdout.readline()
        if not raw:
            raise RuntimeError("patrol local-cluster exited before printing its kubeconfig")
        line = raw.decode().rstrip("\n")
        if not seen_header:
            seen_header = line == "kubeconfig:"
        elif line:
            lines.append(line)
        elif lines:
            document: dict[str, Any] = yaml.safe_load("\n".join(lines))
            return document
