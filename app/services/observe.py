"""What a checker pod's state means for its run: the watcher's translation, through the same CAS."""

from __future__ import annotations

import enum
import uuid
from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from app.adapters.pod_watch import Changed, Quiet, Relisted, watch_namespaces
from app.adapters.queue import JobQueue
from app.db import SessionFactory
from app.domain.manifest import PATROL_POD_SELECTOR, RUN_ID_LABEL
from app.domain.pod_state import node_name, pod_exit, pod_ip, pod_problem
from app.domain.run_lifecycle import (
    EXECUTION,
    Outcome,
    execution_error,
    exited_without_report,
    pod_deleted,
)
from app.models import Cluster
from app.models.columns import utcnow
from app.services import run_state
from app.services.followups import enqueue_exit_check, enqueue_finalize
from app.services.ports import EventNudges, Execution
from app.services.run_context import run_with_context

__all__ = [
    "Changed",
    "Followup",
    "PodObserver",
    "Quiet",
    "Relisted",
    "decide_exited_without_report",
    "observe_pod",
    "pod_changes",
    "run_id_of",
    "settle_exit",
]


class Followup(enum.Enum):
    NONE = "none"
    FINALIZE = "finalize"  # the run was just decided here
    CHECK_EXIT = "check_exit"  # the pod ended; give a report in flight a moment, then decide


def run_id_of(pod: dict[str, Any]) -> uuid.UUID | None:
    value = ((pod.get("metadata") or {}).get("labels") or {}).get(RUN_ID_LABEL)
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


async def observe_pod(
    session: AsyncSession,
    run_id: uuid.UUID,
    event_type: str,
    pod: dict[str, Any],
    *,
    now: datetime,
    nudges: EventNudges,
    ip_recorded: bool = False,
) -> Followup:
    """A use case: it commits what it wrote."""
    if event_type == "DELETED":
        return await _decide(session, run_id, pod_deleted(), now, nudges)
    problem = pod_problem(pod)
    if problem is not None:
        outcome = execution_error(problem.reason, problem.message)
        return await _decide(session, run_id, outcome, now, nudges)
    ip = pod_ip(pod)
    if ip and not ip_recorded:
        await run_state.record_pod_location(session, run_id, pod_ip=ip, node_name=node_name(pod))
        await session.commit()
    if pod_exit(pod) is not None:
        return Followup.CHECK_EXIT
    return Followup.NONE


async def decide_exited_without_report(
    session: AsyncSession,
    run_id: uuid.UUID,
    pod: dict[str, Any] | None,
    *,
    now: datetime,
    nudges: EventNudges,
) -> bool:
    """After the exit grace: the pod ended and no report decided the run. Commits."""
    ended = pod_exit(pod) if pod is not None else None
    outcome = exited_without_report(
        ended.exit_code if ended else None, ended.reason if ended else None
    )
    return await _decided(session, run_id, outcome, now, nudges)


async def _decide(
    session: AsyncSession, run_id: uuid.UUID, outcome: Outcome, now: datetime, nudges: EventNudges
) -> Followup:
    decided = await _decided(session, run_id, outcome, now, nudges)
    return Followup.FINALIZE if decided else Followup.NONE


async def _decided(
    session: AsyncSession, run_id: uuid.UUID, outcome: Outcome, now: datetime, nudges: EventNudges
) -> bool:
    decided = await run_state.decide_one(session, run_id, outcome, EXECUTION, now=now)
    await session.commit()
    if decided is None:
        return False
    nudges.events_appended()
    run_state.announce([decided])
    return True


@dataclass(slots=True)
class PodMemo:
    """What a watch already told the database about a pod, so repeats cost nothing."""

    namespace: str | None = None
    ip_recorded: bool = False
    exit_seen: bool = False
    decided: bool = False


class PodObserver:
    """One cluster's watch, translated into run decisions and follow-up jobs. It outlives
    restarts of the watch: the fresh list after a failure is compared with the pods it knew, and
    a pod that vanished meanwhile counts as deleted, as Kubernetes informers do."""

    def __init__(
        self, session_factory: SessionFactory, queue: JobQueue, nudges: EventNudges
    ) -> None:
        self._session_factory = session_factory
        self._queue = queue
        self._nudges = nudges
        self._memos: dict[uuid.UUID, PodMemo] = {}

    async def relisted(self, pods: list[dict[str, Any]], namespace: str) -> None:
        listed = {run_id: pod for pod in pods if (run_id := run_id_of(pod)) is not None}
        vanished = [
            run_id
            for run_id, memo in self._memos.items()
            if memo.namespace == namespace and run_id not in listed
        ]
        for run_id in vanished:
            await self._observe(run_id, "DELETED", {})
        for run_id, pod in listed.items():
            await self._observe(run_id, "ADDED", pod)

    async def changed(self, event_type: str, pod: dict[str, Any]) -> None:
        run_id = run_id_of(pod)
        if run_id is not None:
            await self._observe(run_id, event_type, pod)

    async def _observe(self, run_id: uuid.UUID, event_type: str, pod: dict[str, Any]) -> None:
        memo = self._memos.get(run_id) or PodMemo(
            namespace=(pod.get("metadata") or {}).get("namespace")
        )
        deleted = event_type == "DELETED"
        if memo.decided or (not deleted and _nothing_new(memo, pod)):
            if deleted:
                self._memos.pop(run_id, None)
            return
        async with self._session_factory() as session:
            followup = await observe_pod(
                session,
                run_id,
                event_type,
                pod,
                now=utcnow(),
                nudges=self._nudges,
                ip_recorded=memo.ip_recorded,
            )
        # Remember only what is done: after a failure the same pod is observed again.
        if deleted:
            self._memos.pop(run_id, None)
        else:
            self._memos[run_id] = memo
        memo.ip_recorded = memo.ip_recorded or pod_ip(pod) is not None
        if followup is Followup.FINALIZE:
            memo.decided = True  # the finalize sweep enqueues it again if this enqueue fails
            await enqueue_finalize(self._queue, run_id)
        elif followup is Followup.CHECK_EXIT:
            await enqueue_exit_check(self._queue, run_id)
            memo.exit_seen = True


def _nothing_new(memo: PodMemo, pod: dict[str, Any]) -> bool:
    if pod_problem(pod) is not None:
        return False
    return (memo.ip_recorded or pod_ip(pod) is None) and (memo.exit_seen or pod_exit(pod) is None)


def pod_changes(
    runtime: Execution, cluster: Cluster, namespaces: Sequence[str], *, quiet_after: float
) -> AsyncGenerator[Relisted | Changed | Quiet, None]:
    """The Patrol pods in the cluster's namespaces as lists, then their changes (`Quiet` while
    nothing happens); raises `KubeError` when the cluster's API fails. One watch per namespace:
    Patrol's Role grants nothing cluster-wide."""
    return watch_namespaces(
        runtime.kube.client(cluster), namespaces, PATROL_POD_SELECTOR, quiet_after=quiet_after
    )


async def settle_exit(runtime: Execution, run_id: uuid.UUID) -> bool:
    """Once its exit grace has passed: a pod that ended without its run being decided decides it
    `exited_without_report`. True when this call decided it (its finalize is then enqueued)."""
    async with runtime.session_factory() as session:
        loaded = await run_with_context(session, run_id)
    if loaded is None or loaded[0].status.is_terminal or loaded[0].pod_name is None:
        return False
    run, _, cluster = loaded
    assert run.pod_name is not None and run.pod_namespace is not None
    # No transaction stays open across a Kubernetes call.
    pod = await runtime.kube.client(cluster).get_pod(run.pod_namespace, run.pod_name)
    async with runtime.session_factory() as session:
        decided = await decide_exited_without_report(
            session, run_id, pod, now=utcnow(), nudges=runtime.event_nudges
        )
    if decided:
        await enqueue_finalize(runtime.queue, run_id)
    return decided
