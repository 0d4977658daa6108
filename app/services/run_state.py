"""The one module that writes a run's state. Every change goes through a compare-and-set built from
the rules in `app.domain.run_lifecycle`, so reports, the pod watcher, the sweeps, launch and
finalize can race and each run is started once, decided once and finalized once.

These are building blocks: they take the caller's session and never commit (see
`app/services/__init__.py` for the transaction rule). What they decided is returned, and is to be
announced (`announce`) once the caller has committed.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.domain.check_status import CheckHealth, health_of
from app.domain.run_lifecycle import (
    START,
    DeadlineGuard,
    FailureReason,
    Outcome,
    Rule,
    RunStatus,
    RunTrigger,
)
from app.logging import get_logger
from app.metrics import (
    KH_CHECK_FAILURE,
    KH_CHECK_RUN_DURATION,
    KH_CHECK_SUCCESS,
    RUNS_DECIDED,
)
from app.models import Check, Cluster, EventKind, Run
from app.services import history, rollups
from app.services.history import RunFacts

log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class DecidedRun:
    """A run this process just decided, with what its announcement needs."""

    facts: RunFacts
    check: str  # namespace/name
    cluster: str

    @property
    def run_id(self) -> uuid.UUID:
        return self.facts.run_id

    @property
    def status(self) -> RunStatus:
        return self.facts.status

    @property
    def duration(self) -> timedelta | None:
        started, finished = self.facts.started_at, self.facts.finished_at
        return None if started is None or finished is None else finished - started


def _guard(rule: Rule, now: datetime) -> list[Any]:
    conditions: list[Any] = [col(Run.status).in_(rule.from_states)]
    if rule.deadline is DeadlineGuard.NOT_PAST:
        conditions.append(col(Run.deadline_at) >= now)
    elif rule.deadline is DeadlineGuard.PAST:
        conditions.append(col(Run.deadline_at) < now)
    return conditions


async def create(session: AsyncSession, runs: Sequence[Run], *, now: datetime) -> None:
    """Add new pending runs (the caller commits; a slot or in-flight conflict fails the flush)."""
    session.add_all(runs)
    await session.flush()
    await history.record_runs(
        session, EventKind.RUN_CREATED, [RunFacts.of(run) for run in runs], now=now
    )


async def start(
    session: AsyncSession,
    run_id: uuid.UUID,
    *,
    now: datetime,
    deadline: datetime,
    pod_name: str,
    pod_namespace: str,
) -> bool:
    """Move a pending run to running with its deadline and pod; False if it was not pending."""
    result = await session.exec(
        sa.update(Run)
        .where(col(Run.id) == run_id, *_guard(START, now))
        .values(
            status=RunStatus.RUNNING,
            started_at=now,
            deadline_at=deadline,
            pod_name=pod_name,
            pod_namespace=pod_namespace,
        )
        .returning(*_FACT_COLUMNS)
        .execution_options(synchronize_session=False)
    )
    started = [_facts(row) for row in result.all()]
    await history.record_runs(session, EventKind.RUN_STARTED, started, now=now)
    return bool(started)


async def decide(
    session: AsyncSession,
    decisions: Sequence[tuple[uuid.UUID, Outcome]],
    rule: Rule,
    *,
    now: datetime,
) -> list[DecidedRun]:
    """Decide each run whose state `rule` allows; the runs that lost the race are left out.
    Runs sharing an outcome are decided by one statement."""
    by_outcome: dict[Outcome, list[uuid.UUID]] = defaultdict(list)
    for run_id, outcome in decisions:
        by_outcome[outcome].append(run_id)
    decided: list[uuid.UUID] = []
    for outcome, run_ids in by_outcome.items():
        result = await session.exec(
            sa.update(Run)
            .where(col(Run.id).in_(run_ids), *_guard(rule, now))
            .values(
                status=outcome.status,
                ok=outcome.ok,
                errors=list(outcome.errors),
                failure_reason=outcome.failure_reason,
                finished_at=now,
            )
            .returning(col(Run.id))
            .execution_options(synchronize_session=False)
        )
        decided.extend(result.scalars().all())
    if not decided:
        return []
    runs = await _decided_runs(session, decided)
    facts = [run.facts for run in runs]
    await history.record_decisions(session, facts, now=now)
    await rollups.record(session, facts)
    return runs


async def decide_one(
    session: AsyncSession, run_id: uuid.UUID, outcome: Outcome, rule: Rule, *, now: datetime
) -> DecidedRun | None:
    decided = await decide(session, [(run_id, outcome)], rule, now=now)
    return decided[0] if decided else None


async def _decided_runs(session: AsyncSession, run_ids: Iterable[uuid.UUID]) -> list[DecidedRun]:
    rows = await session.exec(
        select(Run, Check.namespace, Check.name, Cluster.name)
        .join(Check, col(Check.id) == col(Run.check_id))
        .join(Cluster, col(Cluster.id) == col(Run.cluster_id))
        .where(col(Run.id).in_(list(run_ids)))
        .execution_options(populate_existing=True)
    )
    return [
        DecidedRun(RunFacts.of(run), f"{namespace}/{check_name}", cluster_name)
        for run, namespace, check_name, cluster_name in rows.all()
    ]


async def record_pod_location(
    session: AsyncSession, run_id: uuid.UUID, *, pod_ip: str, node_name: str | None
) -> None:
    """The pod's IP (for header-less reports) and node, once the watcher first sees them."""
    await session.exec(
        sa.update(Run)
        .where(col(Run.id) == run_id, col(Run.pod_ip).is_(None))
        .values(pod_ip=pod_ip, node_name=node_name)
        .execution_options(synchronize_session=False)
    )


async def mark_finalized(
    session: AsyncSession, run_id: uuid.UUID, *, node_name: str | None, now: datetime
) -> bool:
    """Record that the run's logs and events are kept; False if another worker did it first."""
    result = await session.exec(
        sa.update(Run)
        .where(col(Run.id) == run_id, col(Run.finalized_at).is_(None))
        .values(finalized_at=now, node_name=sa.func.coalesce(node_name, Run.node_name))
        .returning(*_FACT_COLUMNS)
        .execution_options(synchronize_session=False)
    )
    finalized = [_facts(row) for row in result.all()]
    await history.record_runs(session, EventKind.RUN_FINALIZED, finalized, now=now)
    return bool(finalized)


_FACT_COLUMNS = (
    col(Run.id),
    col(Run.check_id),
    col(Run.cluster_id),
    col(Run.status),
    col(Run.trigger),
    col(Run.scheduled_at),
    col(Run.started_at),
    col(Run.finished_at),
    col(Run.failure_reason),
    col(Run.errors),
)


def _facts(row: Any) -> RunFacts:
    (
        run_id,
        check_id,
        cluster_id,
        status,
        trigger,
        scheduled,
        started,
        finished,
        reason,
        errors,
    ) = row
    return RunFacts(
        run_id=run_id,
        check_id=check_id,
        cluster_id=cluster_id,
        status=RunStatus(status),
        trigger=RunTrigger(trigger),
        scheduled_at=scheduled,
        started_at=started,
        finished_at=finished,
        failure_reason=FailureReason(reason) if reason else None,
        errors=tuple(errors or ()),
    )


def announce(decided: Iterable[DecidedRun]) -> None:
    """Tell the world what was decided: once per run, after the deciding transaction committed."""
    for run in decided:
        RUNS_DECIDED.labels(status=run.status.value).inc()
        duration = run.duration
        _count_for_kuberhealthy(run, duration)
        log.info(
            "run decided",
            run_id=str(run.run_id),
            check=run.check,
            cluster=run.cluster,
            trigger=run.facts.trigger.value,
            status=run.status.value,
            reason=run.facts.failure_reason.value if run.facts.failure_reason else None,
            duration_seconds=None if duration is None else round(duration.total_seconds(), 3),
        )


def _count_for_kuberhealthy(run: DecidedRun, duration: timedelta | None) -> None:
    health = health_of(run.status)
    if health is None:
        return
    namespace = run.check.partition("/")[0]
    labels = {"check": run.check, "namespace": namespace, "cluster": run.cluster}
    (KH_CHECK_SUCCESS if health is CheckHealth.PASSING else KH_CHECK_FAILURE).labels(**labels).inc()
    if duration is not None:
        KH_CHECK_RUN_DURATION.labels(**labels).observe(duration.total_seconds())
