"""Liveness, readiness and metrics over HTTP, for the API and for a worker's health port.

`/healthz` only says the process answers. `/readyz` says it can do its work: the database and
Redis answer within a short timeout, and every essential loop of this process has beaten within
the threshold. A cluster's watch is not essential: one bad cluster must not take the process out
of service for every other cluster; its loop is listed as degraded and in the metrics."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from litestar import Litestar, MediaType, Request, get
from litestar.handlers import HTTPRouteHandler
from litestar.response import Response
from prometheus_client import generate_latest
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from app.metrics import QUEUE_DEPTH
from app.models.columns import utcnow
from app.runtime import Runtime
from app.status_endpoint import WITHHELD, StatusAccess

# Prometheus' text format 0.0.4, which Kuberhealthy's scrapers read; said once, with its charset.
METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@dataclass(frozen=True, slots=True)
class Problem:
    name: str
    since: datetime | None
    reason: str

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "since": self.since.isoformat() if self.since else None,
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class Readiness:
    down: list[Problem]
    degraded: list[Problem]
    loops: list[str]

    @property
    def ready(self) -> bool:
        return not self.down

    def as_json(self) -> dict[str, Any]:
        return {
            "status": "ready" if self.ready else "unready",
            "down": [problem.as_json() for problem in self.down],
            "degraded": [problem.as_json() for problem in self.degraded],
            "loops": self.loops,
        }


@dataclass
class ReadinessProbe:
    """Probes the dependencies and reads the loops' health; remembers since when a dependency
    has been failing, so that the answer says for how long."""

    runtime: Runtime
    _failing_since: dict[str, datetime] = field(default_factory=dict)
    _probe_engine: AsyncEngine = field(init=False)

    def __post_init__(self) -> None:
        self._probe_engine = create_async_engine(
            self.runtime.engine.url, poolclass=NullPool, hide_parameters=True
        )

    async def probe(self) -> Readiness:
        timeout = self.runtime.settings.readiness_timeout_seconds
        down: list[Problem] = []
        for name, check in (("database", self._database), ("redis", self._redis)):
            problem = await self._dependency(name, check, timeout)
            if problem is not None:
                down.append(problem)
        degraded: list[Problem] = []
        health = self.runtime.loops.health()
        for loop in health:
            if not loop.stale:
                continue
            reason = (
                f"failing: {loop.last_error}"
                if loop.last_error and not loop.up
                else "no heartbeat within the threshold"
            )
            problem = Problem(f"loop:{loop.name}", loop.down_since, reason)
            (down if loop.essential else degraded).append(problem)
        return Readiness(down, degraded, [loop.name for loop in health])

    async def _dependency(
        self, name: str, check: Callable[[], Awaitable[None]], timeout: float
    ) -> Problem | None:
        try:
            async with asyncio.timeout(timeout):
                await check()
        except Exception as error:
            since = self._failing_since.setdefault(name, utcnow())
            detail = str(error) or type(error).__name__
            return Problem(name, since, f"{type(error).__name__}: {detail}")
        self._failing_since.pop(name, None)
        return None

    async def _database(self) -> None:
        # A connection of its own: a pool kept busy by API requests must not make the process
        # look down (that would also stop checker pods' reports); monitoring's own stalls show
        # in its loops.
        async with self._probe_engine.connect() as connection:
            await connection.execute(sa.text("SELECT 1"))

    async def _redis(self) -> None:
        await self.runtime.redis.ping()


def health_handlers(runtime: Runtime) -> list[HTTPRouteHandler]:
    probe = ReadinessProbe(runtime)
    status = StatusAccess(runtime)

    @get("/healthz", media_type=MediaType.TEXT, sync_to_thread=False)
    def healthz() -> str:
        return "ok"

    @get("/readyz")
    async def readyz() -> Response[dict[str, Any]]:
        readiness = await probe.probe()
        return Response(readiness.as_json(), status_code=200 if readiness.ready else 503)

    @get("/metrics")
    async def metrics(request: Request[Any, Any, Any]) -> Response[bytes]:
        with contextlib.suppress(Exception):
            # Redis down shows in /readyz; the other metrics still count.
            QUEUE_DEPTH.set(await runtime.queue.depth())
        refused = await status.refusal(request)
        checks = WITHHELD if refused else await status.metrics()
        return Response(
            checks.encode() + generate_latest(),
            headers={"content-type": METRICS_CONTENT_TYPE},
        )

    return [healthz, readyz, metrics]


def create_health_app(runtime: Runtime) -> Litestar:
    """What `patrol worker --health-port` serves: health and metrics, no API."""
    return Litestar(route_handlers=health_handlers(runtime), logging_config=None)
