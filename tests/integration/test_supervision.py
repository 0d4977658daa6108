"""Supervised loops: a failure is logged once, backed off and restarted; a stop lets the stretch
in progress finish."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from datetime import datetime

from prometheus_client import REGISTRY

from app.supervision import LoopControl, Supervisor
from tests.fixtures.logs import LogFile
from tests.fixtures.stack import eventually


def restarts_metric(name: str) -> float | None:
    return REGISTRY.get_sample_value("patrol_loop_restarts_total", {"loop": name})


async def test_a_loop_that_raises_is_logged_and_restarted_and_its_restart_counter_moves(
    json_logs: LogFile,
) -> None:
    supervisor = Supervisor(stale_after=30, max_backoff=0.2)
    name = f"flaky-{uuid.uuid4().hex[:6]}"
    attempts = 0
    working = asyncio.Event()

    async def flaky(control: LoopControl) -> None:
        nonlocal attempts
        attempts += 1
        if attempts <= 2:
            raise RuntimeError(f"attempt {attempts} failed")
        control.beat()
        working.set()
        await asyncio.Event().wait()

    supervisor.start(name, flaky, cluster="somewhere")
    try:
        await asyncio.wait_for(working.wait(), 10)
        (health,) = supervisor.health()
        assert health.up and health.restarts == 2
        assert restarts_metric(name) == 2
        assert REGISTRY.get_sample_value("patrol_loop_up", {"loop": name}) == 1
    finally:
        await supervisor.stop_all()
    failures = json_logs.records("loop failed; restarting it after a pause", loop=name)
    assert [record["error"] for record in failures] == [
        "RuntimeError: attempt 1 failed",
        "RuntimeError: attempt 2 failed",
    ]
    assert all(record["cluster"] == "somewhere" for record in failures)
    assert all("Traceback" in record["exception"] for record in failures)
    # A stopped loop leaves no gauge claiming it is up or down.
    assert REGISTRY.get_sample_value("patrol_loop_up", {"loop": name}) is None


async def test_a_loop_that_keeps_failing_is_retried_less_and_less_often_up_to_the_cap(
    json_logs: LogFile,
) -> None:
    supervisor = Supervisor(stale_after=30, max_backoff=1.6)
    name = f"broken-{uuid.uuid4().hex[:6]}"

    async def broken(_control: LoopControl) -> None:
        raise ConnectionError("nobody answers")

    supervisor.start(name, broken)
    try:
        await eventually(lambda: _at_least(json_logs, name, 5), timeout=20, interval=0.1)
    finally:
        await supervisor.stop_all()
    records = json_logs.records("loop failed; restarting it after a pause", loop=name)
    times = [datetime.fromisoformat(record["timestamp"]) for record in records]
    gaps = [(later - earlier).total_seconds() for earlier, later in itertools.pairwise(times)]
    # Pauses of 0.5, 1 and then the 1.6 s cap, each within the ±10 % jitter (plus scheduling).
    for gap, pause in zip(gaps, [0.5, 1.0, 1.6, 1.6], strict=False):
        assert pause * 0.9 <= gap <= pause * 1.1 + 0.3, gaps
    assert [record["restart_in_seconds"] <= 1.6 * 1.1 for record in records] == [True] * len(
        records
    )


async def _at_least(logs: LogFile, loop: str, count: int) -> bool:
    return len(logs.records("loop failed; restarting it after a pause", loop=loop)) >= count


async def test_stopping_a_loop_lets_its_stretch_finish_then_cancels_it() -> None:
    supervisor = Supervisor(stale_after=30, max_backoff=1)
    inside, release = asyncio.Event(), asyncio.Event()
    finished: list[str] = []

    async def careful(control: LoopControl) -> None:
        while True:
            async with control.stretch():
                inside.set()
                await release.wait()
                finished.append("stretch")
            await asyncio.Event().wait()

    supervisor.start("careful", careful)
    await asyncio.wait_for(inside.wait(), 5)
    stopping = asyncio.create_task(supervisor.stop("careful"))
    await asyncio.sleep(0)
    assert not stopping.done()
    release.set()
    await asyncio.wait_for(stopping, 5)
    assert finished == ["stretch"]
    assert "careful" not in supervisor


async def test_a_loop_that_stops_beating_is_stale_and_up_again_once_it_beats() -> None:
    supervisor = Supervisor(stale_after=0.3, max_backoff=1)
    beating = asyncio.Event()
    beating.set()

    async def sometimes_hangs(control: LoopControl) -> None:
        while True:
            await beating.wait()
            control.beat()
            await asyncio.sleep(0.02)

    supervisor.start("sometimes-hangs", sometimes_hangs)
    try:
        await eventually(lambda: _has_beaten(supervisor), timeout=5, interval=0.02)
        beating.clear()
        await eventually(lambda: _stale(supervisor, True), timeout=5, interval=0.02)
        (health,) = supervisor.health()
        assert not health.up and health.down_since == health.last_beat
        beating.set()
        await eventually(lambda: _stale(supervisor, False), timeout=5, interval=0.02)
        assert supervisor.health()[0].up
    finally:
        await supervisor.stop_all()


async def _has_beaten(supervisor: Supervisor) -> bool:
    return supervisor.health()[0].last_beat is not None


async def _stale(supervisor: Supervisor, expected: bool) -> bool:
    return supervisor.health()[0].stale is expected
