"""Live updates straight against the schema (`schema.subscribe`), with a fan-out on the test's
database driven by hand: what each subscription selects, replays from an eventId, overflow.
The same over real websockets and processes is tests/e2e/test_live_updates.py."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import select
from strawberry.types import ExecutionResult

from app.api.context import build_context
from app.api.schema import schema
from app.db import SessionFactory
from app.domain.access import Principal, Role
from app.domain.feed_position import FeedPosition
from app.domain.run_lifecycle import REPORT, check_failed, succeeded
from app.keyring import Keyring
from app.models import Check, CheckCluster, ConnectionKind, Run, RunTrigger
from app.models.columns import utcnow
from app.services import run_state
from app.services.checks import CheckDraft, create_check, pause_check
from app.services.clusters import ClusterDraft, create_cluster
from app.services.event_fanout import EventFanout
from tests.fixtures.access import IssueToken, principal_of

RUN_UPDATES = """
subscription($filter: RunFilterInput, $after: String) {
  runUpdates(filter: $filter, after: $after) { eventId step status runId checkId failureReason }
}
"""
STATUS_CHANGES = """
subscription($filter: CheckStatusFilterInput, $after: String) {
  checkStatusChanged(filter: $filter, after: $after) { eventId checkId previous status runId }
}
"""
POD_SPEC = {"containers": [{"name": "c", "image": "busybox"}]}


class Subscriber:
    """One subscription's results, read with a deadline."""

    def __init__(self, results: AsyncIterator[Any]) -> None:
        self._results = results

    async def next(self, timeout: float = 5) -> ExecutionResult:
        result: ExecutionResult = await asyncio.wait_for(anext(self._results), timeout)
        return result

    async def data(self, field: str, count: int) -> list[dict[str, Any]]:
        items = []
        for _ in range(count):
            result = await self.next()
            assert result.errors is None, [error.formatted for error in result.errors]
            assert result.data is not None
            items.append(result.data[field])
        return items

    async def nothing_more(self) -> bool:
        try:
            await self.next(timeout=0.3)
        except TimeoutError:
            return True
        return False

    async def close(self) -> None:
        await self._results.aclose()  # type: ignore[attr-defined]


@pytest.fixture
async def fanout(session_factory: SessionFactory) -> EventFanout:
    live = EventFanout(session_factory, queue_size=1000, poll_interval=60)
    await live.catch_up()
    return live


@pytest.fixture
async def viewer(
    session_factory: SessionFactory, keyring: Keyring, issue_token_for: IssueToken
) -> Principal:
    return await principal_of(session_factory, keyring, await issue_token_for(Role.VIEWER))


@asynccontextmanager
async def subscription(
    session_factory: SessionFactory,
    keyring: Keyring,
    live: EventFanout,
    principal: Principal | None,
    document: str,
    **variables: Any,
) -> AsyncIterator[Subscriber]:
    context = build_context(session_factory, keyring=keyring, principal=principal, live=live)
    results = await schema.subscribe(document, variable_values=variables, context_value=context)
    assert not isinstance(results, ExecutionResult), results.errors
    subscriber = Subscriber(results)
    try:
        yield subscriber
    finally:
        await subscriber.close()


async def registered(live: EventFanout, count: int) -> None:
    """Wait until `count` subscriptions are registered with the fan-out (they register when
    their first result is asked for)."""
    deadline = asyncio.get_running_loop().time() + 5
    while live.subscriptions < count:
        assert asyncio.get_running_loop().time() < deadline, "the subscription never registered"
        await asyncio.sleep(0.01)


async def a_check(session_factory: SessionFactory, keyring: Keyring, name: str) -> Check:
    async with session_factory.begin() as session:
        cluster = await create_cluster(
            session,
            ClusterDraft(name=f"c-{uuid.uuid4().hex[:8]}", connection_kind=ConnectionKind.LOCAL),
            keyring,
        )
        return await create_check(
            session,
            CheckDraft(
                name=name,
                namespace="default",
                pod_spec=POD_SPEC,
                timeout="30s",
                cluster_ids=[cluster.id],
            ),
        )


async def a_whole_run(session_factory: SessionFactory, check: Check, ok: bool = True) -> uuid.UUID:
    """Created, started, decided and finalized, each step in its own transaction."""
    async with session_factory() as session:
        cluster_id = (
            await session.exec(
                select(CheckCluster.cluster_id).where(CheckCluster.check_id == check.id)
            )
        ).one()
    now = utcnow()
    run = Run(
        check_id=check.id,
        cluster_id=cluster_id,
        check_version=1,
        trigger=RunTrigger.MANUAL,
        scheduled_at=now,
    )
    async with session_factory.begin() as session:
        await run_state.create(session, [run], now=now)
    async with session_factory.begin() as session:
        assert await run_state.start(
            session,
            run.id,
            now=utcnow(),
            deadline=utcnow() + timedelta(minutes=1),
            pod_name="p",
            pod_namespace="default",
        )
    outcome = succeeded() if ok else check_failed(["boom"])
    async with session_factory.begin() as session:
        assert await run_state.decide_one(session, run.id, outcome, REPORT, now=utcnow())
    async with session_factory.begin() as session:
        assert await run_state.mark_finalized(session, run.id, node_name=None, now=utcnow())
    return run.id


async def test_a_subscriber_sees_each_step_of_a_run_with_a_position_each(
    session_factory: SessionFactory, keyring: Keyring, fanout: EventFanout, viewer: Principal
) -> None:
    check = await a_check(session_factory, keyring, "web")
    async with subscription(session_factory, keyring, fanout, viewer, RUN_UPDATES) as updates:
        pending = asyncio.ensure_future(updates.data("runUpdates", 4))
        await registered(fanout, 1)
        run_id = await a_whole_run(session_factory, check, ok=False)
        await fanout.catch_up()
        steps = await pending
    assert [(step["step"], step["status"]) for step in steps] == [
        ("CREATED", "PENDING"),
        ("STARTED", "RUNNING"),
        ("DECIDED", "FAILED"),
        ("FINALIZED", "FAILED"),
    ]
    assert {step["runId"] for step in steps} == {str(run_id)}
    assert steps[2]["failureReason"] == "CHECK_FAILED"
    assert len({step["eventId"] for step in steps}) == 4
    assert fanout.subscriptions == 0


async def test_a_filter_on_one_check_sees_nothing_of_another(
    session_factory: SessionFactory, keyring: Keyring, fanout: EventFanout, viewer: Principal
) -> None:
    mine, other = (
        await a_check(session_factory, keyring, "mine"),
        await a_check(session_factory, keyring, "other"),
    )
    only_mine = {"checkId": str(mine.id)}
    async with subscription(
        session_factory, keyring, fanout, viewer, RUN_UPDATES, filter=only_mine
    ) as updates:
        pending = asyncio.ensure_future(updates.data("runUpdates", 4))
        await registered(fanout, 1)
        await a_whole_run(session_factory, other)
        await a_whole_run(session_factory, mine)
        await fanout.catch_up()
        steps = await pending
        assert {step["checkId"] for step in steps} == {str(mine.id)}
        assert await updates.nothing_more()


async def test_a_status_filter_selects_runs_as_the_runs_query_does(
    session_factory: SessionFactory, keyring: Keyring, fanout: EventFanout, viewer: Principal
) -> None:
    check = await a_check(session_factory, keyring, "web")
    failed_only = {"status": ["FAILED"]}
    async with subscription(
        session_factory, keyring, fanout, viewer, RUN_UPDATES, filter=failed_only
    ) as updates:
        pending = asyncio.ensure_future(updates.data("runUpdates", 2))
        await registered(fanout, 1)
        await a_whole_run(session_factory, check, ok=True)
        failing = await a_whole_run(session_factory, check, ok=False)
        await fanout.catch_up()
        steps = await pending
    assert [(step["step"], step["runId"]) for step in steps] == [
        ("DECIDED", str(failing)),
        ("FINALIZED", str(failing)),
    ]


async def test_resuming_after_an_event_id_replays_what_was_missed_then_goes_live(
    session_factory: SessionFactory, keyring: Keyring, fanout: EventFanout, viewer: Principal
) -> None:
    check = await a_check(session_factory, keyring, "web")
    async with subscription(session_factory, keyring, fanout, viewer, RUN_UPDATES) as first:
        pending = asyncio.ensure_future(first.data("runUpdates", 2))
        await registered(fanout, 1)
        await a_whole_run(session_factory, check)
        await fanout.catch_up()
        seen = await pending
    # Gone after two of the four steps; meanwhile another run went through.
    await a_whole_run(session_factory, check)
    await fanout.catch_up()
    async with subscription(
        session_factory, keyring, fanout, viewer, RUN_UPDATES, after=seen[-1]["eventId"]
    ) as resumed:
        missed = await resumed.data("runUpdates", 6)
        await registered(fanout, 1)
        third = await a_whole_run(session_factory, check)
        await fanout.catch_up()
        live = await resumed.data("runUpdates", 4)
        assert await resumed.nothing_more()
    whole_run = ["CREATED", "STARTED", "DECIDED", "FINALIZED"]
    assert [step["step"] for step in missed] == [*whole_run[2:], *whole_run]
    assert {step["runId"] for step in live} == {str(third)}
    event_ids = [step["eventId"] for step in seen + missed + live]
    assert len(set(event_ids)) == len(event_ids) == 12


async def test_a_position_from_a_listener_further_ahead_gives_no_duplicates(
    session_factory: SessionFactory, keyring: Keyring, viewer: Principal
) -> None:
    """Two API processes read the log at their own pace: a client may resume on the one that
    is behind with a position the other handed out."""
    ahead = EventFanout(session_factory, queue_size=100, poll_interval=60)
    behind = EventFanout(session_factory, queue_size=100, poll_interval=60)
    await ahead.catch_up()
    await behind.catch_up()
    check = await a_check(session_factory, keyring, "web")
    async with subscription(session_factory, keyring, ahead, viewer, RUN_UPDATES) as first:
        pending = asyncio.ensure_future(first.data("runUpdates", 4))
        await registered(ahead, 1)
        await a_whole_run(session_factory, check)
        await ahead.catch_up()
        seen = await pending
    async with subscription(
        session_factory, keyring, behind, viewer, RUN_UPDATES, after=seen[1]["eventId"]
    ) as resumed:
        pending = asyncio.ensure_future(resumed.data("runUpdates", 2))
        await registered(behind, 1)
        await behind.catch_up()  # reads all four steps; the first two were seen already
        rest = await pending
        assert [step["eventId"] for step in rest] == [seen[2]["eventId"], seen[3]["eventId"]]
        later = await a_whole_run(session_factory, check)
        await behind.catch_up()
        assert {step["runId"] for step in await resumed.data("runUpdates", 4)} == {str(later)}
        assert await resumed.nothing_more()


async def test_a_subscriber_that_falls_behind_is_dropped_with_where_to_resume(
    session_factory: SessionFactory, keyring: Keyring, viewer: Principal
) -> None:
    live = EventFanout(session_factory, queue_size=3, poll_interval=60, page_size=2)
    await live.catch_up()
    check = await a_check(session_factory, keyring, "web")
    async with (
        subscription(session_factory, keyring, live, viewer, RUN_UPDATES) as slow,
        subscription(session_factory, keyring, live, viewer, RUN_UPDATES) as keen,
    ):
        first = asyncio.ensure_future(slow.data("runUpdates", 1))
        keeping_up = asyncio.ensure_future(keen.data("runUpdates", 8))
        await registered(live, 2)
        await a_whole_run(session_factory, check)
        await a_whole_run(session_factory, check)
        # Pages of two: the keen one drains between pages, the slow one reads nothing more.
        await live.catch_up()
        (taken,) = await first
        assert len(await keeping_up) == 8
        ended = await slow.next()
    assert ended.errors is not None
    (error,) = ended.errors
    assert error.extensions is not None
    assert error.extensions["code"] == "SUBSCRIBER_TOO_SLOW"
    assert error.extensions["after"] == taken["eventId"]
    assert taken["eventId"] in error.message
    assert live.subscriptions == 0
    async with subscription(
        session_factory, keyring, live, viewer, RUN_UPDATES, after=error.extensions["after"]
    ) as again:
        assert len(await again.data("runUpdates", 7)) == 7


async def test_status_flips_are_streamed_with_the_run_that_caused_them(
    session_factory: SessionFactory, keyring: Keyring, fanout: EventFanout, viewer: Principal
) -> None:
    check = await a_check(session_factory, keyring, "web")
    async with subscription(
        session_factory, keyring, fanout, viewer, STATUS_CHANGES, filter={"checkId": str(check.id)}
    ) as flips:
        pending = asyncio.ensure_future(flips.data("checkStatusChanged", 3))
        await registered(fanout, 1)
        failing = await a_whole_run(session_factory, check, ok=False)
        await a_whole_run(session_factory, check, ok=False)  # still failing: no flip
        passing = await a_whole_run(session_factory, check, ok=True)
        async with session_factory.begin() as session:
            await pause_check(session, check.id)
        await fanout.catch_up()
        changes = await pending
    assert [(c["previous"], c["status"], c["runId"]) for c in changes] == [
        ("UNKNOWN", "FAILING", str(failing)),
        ("FAILING", "PASSING", str(passing)),
        ("PASSING", "PAUSED", None),
    ]


async def test_a_status_filter_selects_flips_by_the_status_they_flip_to(
    session_factory: SessionFactory, keyring: Keyring, fanout: EventFanout, viewer: Principal
) -> None:
    check = await a_check(session_factory, keyring, "web")
    async with subscription(
        session_factory, keyring, fanout, viewer, STATUS_CHANGES, filter={"status": ["PASSING"]}
    ) as flips:
        pending = asyncio.ensure_future(flips.data("checkStatusChanged", 1))
        await registered(fanout, 1)
        await a_whole_run(session_factory, check, ok=False)
        await a_whole_run(session_factory, check, ok=True)
        await fanout.catch_up()
        (change,) = await pending
        assert change["status"] == "PASSING"
        assert await flips.nothing_more()


@pytest.mark.parametrize("after", ["not a position", "e30", "x" * 70_000])
async def test_an_after_that_patrol_did_not_hand_out_is_bad_input(
    session_factory: SessionFactory,
    keyring: Keyring,
    fanout: EventFanout,
    viewer: Principal,
    after: str,
) -> None:
    async with subscription(
        session_factory, keyring, fanout, viewer, RUN_UPDATES, after=after
    ) as updates:
        result = await updates.next()
    assert result.errors is not None
    assert result.errors[0].extensions == {"code": "BAD_USER_INPUT", "field": "after"}


async def test_subscribing_needs_a_token(
    session_factory: SessionFactory, keyring: Keyring, fanout: EventFanout
) -> None:
    async with subscription(session_factory, keyring, fanout, None, RUN_UPDATES) as updates:
        result = await updates.next()
    assert result.errors is not None
    assert result.errors[0].extensions == {"code": "UNAUTHENTICATED"}
    assert fanout.subscriptions == 0


async def test_subscribers_share_an_updates_result_only_when_they_sent_the_same_operation(
    session_factory: SessionFactory, keyring: Keyring, fanout: EventFanout, viewer: Principal
) -> None:
    check = await a_check(session_factory, keyring, "web")
    narrow = "subscription { runUpdates { step } }"
    async with (
        subscription(session_factory, keyring, fanout, viewer, RUN_UPDATES) as full,
        subscription(session_factory, keyring, fanout, viewer, RUN_UPDATES) as same,
        subscription(session_factory, keyring, fanout, viewer, narrow) as brief,
    ):
        pending = [
            asyncio.ensure_future(subscriber.data("runUpdates", 4))
            for subscriber in (full, same, brief)
        ]
        await registered(fanout, 3)
        await a_whole_run(session_factory, check)
        await fanout.catch_up()
        seen_full, seen_same, seen_brief = await asyncio.gather(*pending)
    assert seen_full == seen_same and "runId" in seen_full[0]
    assert seen_brief == [{"step": step} for step in ("CREATED", "STARTED", "DECIDED", "FINALIZED")]


async def test_a_position_ahead_of_the_log_is_bad_input(
    session_factory: SessionFactory, keyring: Keyring, fanout: EventFanout, viewer: Principal
) -> None:
    beyond = FeedPosition.at(10**9).encode()
    async with subscription(
        session_factory, keyring, fanout, viewer, RUN_UPDATES, after=beyond
    ) as updates:
        result = await updates.next()
    assert result.errors is not None
    assert result.errors[0].extensions == {"code": "BAD_USER_INPUT", "field": "after"}
    assert fanout.subscriptions == 0
