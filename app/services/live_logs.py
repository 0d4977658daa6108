"""A run's log for the `runLogs` subscription: what was stored when the run was finalized, or its
pod's log followed through the cluster's Kubernetes API as it is written."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import col, select

from app.adapters.kube import ClusterClient, KubeError, KubeGateway, LogStreamBroken
from app.db import SessionFactory
from app.domain.log_stream import ByteBudget, LineAssembler, LogEndReason
from app.errors import InvalidInput, NotFound, PatrolError
from app.metrics import LIVE_LOG_STREAMS
from app.models import Check, Cluster, EventKind, Run, RunLog
from app.models.columns import utcnow
from app.services.event_fanout import EventFanout, EventSelector, LoggedEvent
from app.services.run_context import run_with_context
from app.settings import Settings

# Between attempts to read a container's log that is not there yet (the container is still
# being created, or the pod not scheduled): from the first to the longest wait.
RETRY_FIRST_SECONDS = 0.2
RETRY_LONGEST_SECONDS = 2.0
TERMINAL_PHASES = frozenset({"Succeeded", "Failed"})


class LogUnavailable(PatrolError):
    """The cluster did not answer in time or refused: the log cannot be read now."""

    code = "LOG_UNAVAILABLE"


@dataclass(frozen=True, slots=True)
class LogChunk:
    container: str
    text: str
    at: datetime


@dataclass(frozen=True, slots=True)
class LogEnd:
    reason: LogEndReason
    at: datetime


@dataclass(frozen=True, slots=True)
class LiveLogLimits:
    max_bytes: int
    line_bytes: int
    max_streams: int
    timeout_seconds: float

    @classmethod
    def from_settings(cls, settings: Settings) -> LiveLogLimits:
        return cls(
            max_bytes=settings.live_log_max_bytes,
            line_bytes=settings.live_log_line_bytes,
            max_streams=settings.live_log_max_streams,
            timeout_seconds=settings.live_log_timeout_seconds,
        )


class LiveLogs:
    """Reads runs' logs for subscribers; one per API process."""

    def __init__(
        self,
        session_factory: SessionFactory,
        kube: KubeGateway | None,
        limits: LiveLogLimits,
        live: EventFanout | None = None,
    ) -> None:
        self._session_factory = session_factory
        self._kube = kube
        self._limits = limits
        self._live = live
        self._streams = 0

    async def follow(
        self, run_id: uuid.UUID, container: str | None = None
    ) -> AsyncGenerator[LogChunk | LogEnd, None]:
        """Chunks of log text, then one LogEnd. Raises NotFound for an unknown run, InvalidInput
        for a container the run's pod does not have, LogUnavailable when the cluster fails."""
        budget = ByteBudget(self._limits.max_bytes)
        async with self._session_factory() as session:
            loaded = await run_with_context(session, run_id)
        if loaded is None:
            raise NotFound(f"no run has the id {run_id}")
        run, check, cluster = loaded
        if run.finalized_at is None and run.pod_name is None:
            loaded = await self._started(run_id)
            run, check, cluster = loaded
        if run.finalized_at is not None or run.pod_name is None or run.pod_namespace is None:
            async for item in self._stored(run, check, container, budget):
                yield item
            return
        async with self._stream_slot():
            async for item in self._followed(run, cluster, container, budget):
                yield item

    async def _started(self, run_id: uuid.UUID) -> tuple[Run, Check, Cluster]:
        """The run once it has a pod or was decided without one (waiting for its next step in
        the event log)."""
        if self._live is None:
            raise LogUnavailable("this process does not follow runs as they start")
        position = await self._live.position()

        def about_this_run(event: LoggedEvent) -> bool:
            return event.run_id == run_id

        selector = EventSelector(
            kinds=frozenset(
                {EventKind.RUN_STARTED, EventKind.RUN_DECIDED, EventKind.RUN_FINALIZED}
            ),
            refine=about_this_run,
        )
        async with contextlib.aclosing(self._live.follow(selector, after=position)) as steps:
            while True:
                async with self._session_factory() as session:
                    loaded = await run_with_context(session, run_id)
                if loaded is None:
                    raise NotFound(f"no run has the id {run_id}")
                run = loaded[0]
                if run.pod_name is not None or run.finalized_at is not None:
                    return loaded
                await anext(steps)

    async def _stored(
        self, run: Run, check: Check, container: str | None, budget: ByteBudget
    ) -> AsyncIterator[LogChunk | LogEnd]:
        async with self._session_factory() as session:
            logs = list(
                (
                    await session.exec(
                        select(RunLog)
                        .where(col(RunLog.run_id) == run.id)
                        .order_by(col(RunLog.container))
                    )
                ).all()
            )
        if container is not None:
            known = {entry.container for entry in logs} | set(_container_names(check.pod_spec))
            if container not in known:
                raise _unknown_container(container, sorted(known))
            logs = [entry for entry in logs if entry.container == container]
        for entry in logs:
            text, cut = budget.take(entry.content)
            if text:
                yield LogChunk(entry.container, text, entry.captured_at)
            if cut:
                yield LogEnd(LogEndReason.LIMIT, utcnow())
                return
        if run.finalized_at is None:
            # Decided without a pod: there is nothing to store or follow.
            yield LogEnd(LogEndReason.POD_GONE, utcnow())
            return
        yield LogEnd(LogEndReason.STORED, utcnow())

    @contextlib.asynccontextmanager
    async def _stream_slot(self) -> AsyncIterator[None]:
        if self._streams >= self._limits.max_streams:
            raise LogUnavailable(
                f"this process already follows {self._streams} pod logs; try again later"
            )
        self._streams += 1
        LIVE_LOG_STREAMS.inc()
        try:
            yield
        finally:
            self._streams -= 1
            LIVE_LOG_STREAMS.dec()

    async def _followed(
        self, run: Run, cluster: Cluster, container: str | None, budget: ByteBudget
    ) -> AsyncIterator[LogChunk | LogEnd]:
        assert run.pod_name is not None and run.pod_namespace is not None
        if self._kube is None:
            raise LogUnavailable("this process does not reach clusters")
        try:
            client = self._kube.client(cluster)
        except KubeError as error:
            raise LogUnavailable(f"the cluster's connection cannot be used: {error}") from None
        pod = await self._pod(client, run)
        if pod is None:
            async for item in self._gone_or_stored(run.id, container, budget):
                yield item
            return
        names = _container_names(pod.get("spec") or {})
        if container is not None and container not in names:
            raise _unknown_container(container, names)
        followed = [container] if container is not None else names
        arrived: asyncio.Queue[tuple[str, bytes] | tuple[str, LogEndReason] | BaseException] = (
            asyncio.Queue()
        )
        tasks = [
            asyncio.create_task(self._pump(client, run, name, arrived), name=f"log:{name}")
            for name in followed
        ]
        assemblers = {name: LineAssembler(self._limits.line_bytes) for name in followed}
        endings: list[LogEndReason] = []
        try:
            while len(endings) < len(followed):
                arrival = await arrived.get()
                if isinstance(arrival, BaseException):
                    raise arrival
                name, content = arrival
                if isinstance(content, LogEndReason):
                    endings.append(content)
                    piece = assemblers[name].flush()
                else:
                    piece = assemblers[name].feed(content)
                if not piece:
                    continue
                text, cut = budget.take(piece)
                if text:
                    yield LogChunk(name, text, utcnow())
                if cut:
                    yield LogEnd(LogEndReason.LIMIT, utcnow())
                    return
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        gone = LogEndReason.POD_GONE in endings
        yield LogEnd(LogEndReason.POD_GONE if gone else LogEndReason.POD_ENDED, utcnow())

    async def _pump(
        self,
        client: ClusterClient,
        run: Run,
        container: str,
        arrived: asyncio.Queue[tuple[str, bytes] | tuple[str, LogEndReason] | BaseException],
    ) -> None:
        """One container's log into `arrived`, then how it ended. A follow that breaks off
        (a quiet log's read timing out, a container not started yet) is opened again and what
        was already received is skipped: the API sends the log from its start each time."""
        assert run.pod_name is not None and run.pod_namespace is not None
        received = 0
        wait = RETRY_FIRST_SECONDS
        read_after_end = False
        try:
            while True:
                finished = False
                try:
                    async with contextlib.aclosing(
                        client.follow_log(
                            run.pod_namespace,
                            run.pod_name,
                            container=container,
                            answer_timeout=self._limits.timeout_seconds,
                        )
                    ) as chunks:
                        seen = 0
                        async for chunk in chunks:
                            fresh = chunk[max(received - seen, 0) :]
                            seen += len(chunk)
                            if fresh:
                                received += len(fresh)
                                wait = RETRY_FIRST_SECONDS
                                arrived.put_nowait((container, fresh))
                    finished = True
                except LogStreamBroken:
                    pass
                except KubeError as error:
                    if error.not_found:
                        arrived.put_nowait((container, LogEndReason.POD_GONE))
                        return
                    # 400: the container is not running yet, or has no log yet.
                    if error.status != 400:
                        raise LogUnavailable(f"the cluster did not give the log: {error}") from None
                pod = await self._pod(client, run)
                if pod is None:
                    arrived.put_nowait((container, LogEndReason.POD_GONE))
                    return
                if _has_terminated(pod, container):
                    # Read once more after the end was seen: the container may have started
                    # and ended between two attempts.
                    if finished or read_after_end or _state(pod, container) in (None, "waiting"):
                        arrived.put_nowait((container, LogEndReason.POD_ENDED))
                        return
                    read_after_end = True
                    continue
                await asyncio.sleep(wait)
                wait = min(wait * 2, RETRY_LONGEST_SECONDS)
        except BaseException as error:
            if not isinstance(error, asyncio.CancelledError):
                arrived.put_nowait(error)
            raise

    async def _pod(self, client: ClusterClient, run: Run) -> dict[str, Any] | None:
        assert run.pod_name is not None and run.pod_namespace is not None
        try:
            async with asyncio.timeout(self._limits.timeout_seconds):
                return await client.get_pod(run.pod_namespace, run.pod_name)
        except TimeoutError:
            raise LogUnavailable(
                f"the cluster did not answer within {self._limits.timeout_seconds:g} s"
            ) from None
        except KubeError as error:
            raise LogUnavailable(f"the cluster could not be asked for the pod: {error}") from None

    async def _gone_or_stored(
        self, run_id: uuid.UUID, container: str | None, budget: ByteBudget
    ) -> AsyncIterator[LogChunk | LogEnd]:
        """The pod is gone before anything was read: its log was stored if the run was finalized
        meanwhile."""
        async with self._session_factory() as session:
            loaded = await run_with_context(session, run_id)
        if loaded is not None and loaded[0].finalized_at is not None:
            async for item in self._stored(loaded[0], loaded[1], container, budget):
                yield item
            return
        yield LogEnd(LogEndReason.POD_GONE, utcnow())


def _container_names(pod_spec: dict[str, Any]) -> list[str]:
    return [
        entry["name"]
        for key in ("initContainers", "containers")
        for entry in pod_spec.get(key) or []
        if isinstance(entry, dict) and entry.get("name")
    ]


def _unknown_container(container: str, names: list[str]) -> InvalidInput:
    return InvalidInput(
        f"the run's pod has no container {container!r}; it has {', '.join(names) or 'none'}",
        field="container",
    )


def _state(pod: dict[str, Any], container: str) -> str | None:
    status = pod.get("status") or {}
    for entry in [
        *(status.get("initContainerStatuses") or []),
        *(status.get("containerStatuses") or []),
    ]:
        if entry.get("name") == container:
            states = set(entry.get("state") or {})
            return next(iter(states), None)
    return None


def _has_terminated(pod: dict[str, Any], container: str) -> bool:
    """Nothing more will be written to the container's log."""
    if (pod.get("status") or {}).get("phase") in TERMINAL_PHASES:
        return True
    if (pod.get("metadata") or {}).get("deletionTimestamp"):
        return _state(pod, container) != "running"
    return _state(pod, container) == "terminated"
