"""The service that owns run state: its compare-and-set is the domain's rule, in SQL."""

from __future__ import annotations

import ast
import itertools
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from app.db import SessionFactory
from app.domain.run_lifecycle import (
    CANCEL,
    DEADLINE,
    EXECUTION,
    REPORT,
    Rule,
    RunStatus,
    cancelled,
    succeeded,
)
from app.models import Run
from app.models.columns import utcnow
from app.services import run_state
from tests.fixtures.logs import LogFile
from tests.integration.test_record_reports import running_runs

ROOT = Path(__file__).resolve().parents[2]


async def set_state(
    session_factory: SessionFactory, run_id: uuid.UUID, status: RunStatus, deadline: datetime
) -> None:
    async with session_factory.begin() as session:
        run = await session.get(Run, run_id)
        assert run is not None
        run.status, run.deadline_at, run.finished_at = status, deadline, None
        session.add(run)


@pytest.mark.parametrize(
    ("rule", "status", "past_deadline"),
    list(
        itertools.product(
            [REPORT, DEADLINE, EXECUTION, CANCEL],
            [RunStatus.PENDING, RunStatus.RUNNING, RunStatus.SUCCEEDED, RunStatus.TIMED_OUT],
            [False, True],
        )
    ),
)
async def test_the_sql_compare_and_set_decides_exactly_when_the_domain_rule_allows(
    session_factory: SessionFactory, rule: Rule, status: RunStatus, past_deadline: bool
) -> None:
    (run_id,) = await running_runs(session_factory, 1)
    now = utcnow()
    deadline = now - timedelta(seconds=1) if past_deadline else now + timedelta(seconds=60)
    await set_state(session_factory, run_id, status, deadline)
    async with session_factory.begin() as session:
        decided = await run_state.decide(session, [(run_id, cancelled("x"))], rule, now=now)
    assert bool(decided) is rule.allows(status, deadline, now)


async def test_of_two_racing_decisions_exactly_one_wins(session_factory: SessionFactory) -> None:
    (run_id,) = await running_runs(session_factory, 1)
    now = utcnow()
    async with session_factory.begin() as first:
        won = await run_state.decide(first, [(run_id, succeeded())], REPORT, now=now)
    async with session_factory.begin() as second:
        lost = await run_state.decide(second, [(run_id, cancelled("x"))], EXECUTION, now=now)
    assert [run.run_id for run in won] == [run_id] and lost == []
    async with session_factory() as session:
        run = await session.get(Run, run_id)
    assert run is not None and run.status is RunStatus.SUCCEEDED


async def test_a_decided_run_is_logged_once_at_info_with_check_cluster_status_and_duration(
    session_factory: SessionFactory, json_logs: LogFile
) -> None:
    (run_id,) = await running_runs(session_factory, 1)
    async with session_factory.begin() as session:
        decided = await run_state.decide(session, [(run_id, succeeded())], REPORT, now=utcnow())
    run_state.announce(decided)
    (fields,) = json_logs.records("run decided")
    assert fields["level"] == "info"
    assert fields["check"] == "default/check-0" and fields["cluster"] == "c"
    assert fields["status"] == "succeeded" and fields["run_id"] == str(run_id)
    assert fields["duration_seconds"] >= 0 and fields["reason"] is None


def test_no_module_but_run_state_updates_runs() -> None:
    """Writes of run state go through one module (housekeeping only deletes old runs)."""
    offenders = []
    for path in [*(ROOT / "app").rglob("*.py"), *(ROOT / "workers").rglob("*.py")]:
        if path.name == "run_state.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "attr", getattr(node.func, "id", None)) == "update"
                and node.args
                and isinstance(node.args[0], ast.Name)
                and node.args[0].id == "Run"
            ):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []
