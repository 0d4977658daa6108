"""Finalizing a decided run: keep the pod's log tail and events, then delete the pod. Idempotent."""

from __future__ import annotations

import enum
import uuid
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.adapters.kube import ClusterClient, KubeError
from app.domain.run_lifecycle import should_wait_for_exit
from app.logging import get_logger
from app.models import Cluster, Run, RunEvent, RunLog
from app.models.columns import utcnow
from app.services import run_state
from app.services.ports import EventNudges, Execution
from app.services.run_context import run_with_context

log = get_logger(__name__)
LOG_TAIL_LINES = 2000


async def runs_awaiting_finalize(
    session: AsyncSession, *, decided_before: datetime, limit: int
) -> list[tuple[uuid.UUID, datetime]]:
    """Decided runs whose logs, events and pod are still to be dealt with, with when each was
    decided."""
    rows = await session.exec(
        select(Run.id, Run.finished_at)
        .where(
            col(Run.finalized_at).is_(None),
            col(Run.finished_at) <= decided_before,
        )
        .order_by(col(Run.finished_at))
        .limit(limit)
    )
    return [(run_id, finished_at) for run_id, finished_at in rows.all() if finished_at]


async def run_to_finalize(session: AsyncSession, run_id: uuid.UUID) -> tuple[Run, Cluster] | None:
    loaded = await run_with_context(session, run_id)
    if loaded is None:
        return None
    run, _, cluster = loaded
    if not run.status.is_terminal or run.finalized_at is not None:
        return None
    return run, cluster


async def capture_pod(
    client: ClusterClient, run: Run, *, max_log_bytes: int
) -> tuple[dict[str, Any] | None, dict[str, tuple[str, bool]], list[dict[str, Any]]]:
    """The pod (None when gone), each container's log tail (text, truncated?) and its events."""
    if run.pod_name is None or run.pod_namespace is None:
        return None, {}, []
    pod = await client.get_pod(run.pod_namespace, run.pod_name)
    logs: dict[str, tuple[str, bool]] = {}
    if pod is not None and (pod.get("spec") or {}).get("nodeName"):
        for container in _started_containers(pod):
            text = await client.read_log_tail(
                run.pod_namespace,
                run.pod_name,
                container=container,
                tail_lines=LOG_TAIL_LINES + 1,
                limit_bytes=max_log_bytes + 1,
            )
            logs[container] = _cap(text, max_log_bytes)
    events = await client.list_pod_events(run.pod_namespace, run.pod_name)
    return pod, logs, events


def _started_containers(pod: dict[str, Any]) -> list[str]:
    status = pod.get("status") or {}
    statuses = [
        *(status.get("initContainerStatuses") or []),
        *(status.get("containerStatuses") or []),
    ]
    return [
        entry["name"]
        for entry in statuses
        if set(entry.get("state") or {}) & {"running", "terminated"}
    ]


def _cap(text: str, max_bytes: int) -> tuple[str, bool]:
    """The end of a log read with one line more than is kept: the extra line, when it came,
    says earlier lines were cut, as a byte cap does."""
    lines = text.splitlines(keepends=True)
    cut = len(lines) > LOG_TAIL_LINES
    if cut:
        text = "".join(lines[-LOG_TAIL_LINES:])
    encoded = text.encode()
    if len(encoded) <= max_bytes:
        return text, cut
    return encoded[-max_bytes:].decode("utf-8", errors="ignore"), True


async def store_capture(
    session: AsyncSession,
    run: Run,
    pod: dict[str, Any] | None,
    logs: dict[str, tuple[str, bool]],
    events: list[dict[str, Any]],
    *,
    nudges: EventNudges,
    now: datetime | None = None,
) -> bool:
    """Store logs and events and mark the run finalized; False if another worker did it first.
    Commits."""
    now = now or utcnow()
    if not await run_state.mark_finalized(session, run.id, node_name=_node(pod), now=now):
        await session.rollback()
        return False
    if logs:
        await session.exec(
            sa.insert(RunLog),
            params=[
                {
                    "run_id": run.id,
                    "container": container,
                    "content": content,
                    "truncated": truncated,
                    "captured_at": now,
                }
                for container, (content, truncated) in logs.items()
            ],
        )
    if events:
        await session.exec(
            sa.insert(RunEvent),
            params=[
                _run_event(run.id, position, event)
                for position, event in enumerate(_ordered(events))
            ],
        )
    await session.commit()
    nudges.events_appended()
    return True


def _node(pod: dict[str, Any] | None) -> str | None:
    return None if pod is None else (pod.get("spec") or {}).get("nodeName")


def _ordered(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """By the second they happened in, then by resourceVersion (creation order) within it."""

    def key(event: dict[str, Any]) -> tuple[datetime, int]:
        seen = _timestamp(_first_seen(event)) or datetime.min.replace(tzinfo=UTC)
        version = str((event.get("metadata") or {}).get("resourceVersion") or "0")
        return seen.replace(microsecond=0), int(version) if version.isdigit() else 0

    return sorted(events, key=key)


def _first_seen(event: dict[str, Any]) -> str | None:
    value: str | None = (
        event.get("firstTimestamp")
        or event.get("eventTime")
        or (event.get("metadata") or {}).get("creationTimestamp")
    )
    return value


def _run_event(run_id: uuid.UUID, position: int, event: dict[str, Any]) -> dict[str, Any]:
    source = event.get("source") or {}
    return {
        "id": uuid.uuid4(),
        "run_id": run_id,
        "position": position,
        "type": event.get("type") or "Normal",
        "reason": event.get("reason") or "",
        "message": event.get("message") or "",
        "count": event.get("count") or 1,
        "source": source.get("component") or event.get("reportingComponent") or "",
        "first_seen": _timestamp(_first_seen(event)),
        "last_seen": _timestamp(event.get("lastTimestamp") or event.get("eventTime")),
    }


def _timestamp(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


# Capturing logs and events is retried this many times when the cluster errors transiently, then
# the run is finalized without them: a run must not stay unfinalized for an unreachable cluster.
CAPTURE_ATTEMPTS = 5


class Finalized(enum.Enum):
    DONE = "done"  # logs and events kept, pod deleted (or deletion left to the reaper)
    NOT_NEEDED = "not needed"  # undecided, unknown, or another worker finalized it
    WAIT_FOR_EXIT = "wait for exit"  # the checker reported and is still writing its last lines
    RETRY = "retry"  # the cluster erred transiently while capturing; try again with backoff


async def finalize(runtime: Execution, run_id: uuid.UUID, *, attempt: int) -> Finalized:
    """The finalize use case: capture, store, delete. Safe to repeat and to race."""
    async with runtime.session_factory() as session:
        target = await run_to_finalize(session, run_id)
    if target is None:
        return Finalized.NOT_NEEDED
    run, cluster = target
    client: ClusterClient | None = None
    try:
        client = runtime.kube.client(cluster)
        pod, logs, events = await capture_pod(
            client, run, max_log_bytes=runtime.settings.run_log_max_bytes
        )
    except KubeError as error:
        if error.transient and attempt < CAPTURE_ATTEMPTS:
            return Finalized.RETRY
        log.warning(
            "capturing the pod failed; finalizing without it", run_id=str(run_id), error=str(error)
        )
        pod, logs, events = None, {}, []
    phase = ((pod or {}).get("status") or {}).get("phase")
    if should_wait_for_exit(run.status, phase, run.finished_at, utcnow()):
        return Finalized.WAIT_FOR_EXIT
    async with runtime.session_factory() as session:
        stored = await store_capture(session, run, pod, logs, events, nudges=runtime.event_nudges)
    if not stored:
        return Finalized.NOT_NEEDED
    if client is not None and run.pod_name and run.pod_namespace:
        try:
            await client.delete_pod(run.pod_namespace, run.pod_name)
        except KubeError as error:
            log.warning(
                "deleting the pod failed; the reaper will retry",
                run_id=str(run_id),
                error=str(error),
            )
    return Finalized.DONE
