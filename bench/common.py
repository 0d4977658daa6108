"""Pieces the benchmark scripts share: a Patrol runtime on a throwaway database and Redis."""

from __future__ import annotations

import asyncio
import socket
import statistics
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

from sqlmodel import SQLModel

import app.models  # noqa: F401
from app.adapters.redis_server import EmbeddedRedis
from app.db import create_engine
from app.keyring import generate_key
from app.runtime import Runtime
from app.settings import Settings
from app.startup import load_keyring


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
    database_url: str | None, redis_url: str | None, public_url: str
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
        engine = create_engine(url)
        stack.push_async_callback(engine.dispose)
        async with engine.begin() as connection:
            await connection.run_sync(SQLModel.metadata.drop_all)
            await connection.run_sync(SQLModel.metadata.create_all)
        settings = Settings(
            data_dir=workdir,
            public_url=public_url,
            local_cluster=False,
            secret_key=generate_key(),  # type: ignore[arg-type]
        )
        runtime = await Runtime.open(
            settings, redis_url=redis_url, engine=engine, keyring=load_keyring(settings)
        )
        stack.push_async_callback(runtime.close)
        await runtime.redis.flushdb()
        yield runtime


@asynccontextmanager
async def local_cluster_process() -> AsyncIterator[str]:
    """`patrol local-cluster` in its own process, as a real cluster would be."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "local-cluster", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                _reader, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.close()
                await writer.wait_closed()
                break
            except OSError:
                await asyncio.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=15)
