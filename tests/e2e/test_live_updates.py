"""Live updates over real websockets, from a served API, with runs driven by a `patrol worker`
in another process: both protocols, filters, reconnecting with the last eventId, a client that
stops reading. The listener polls the log only once a minute here, so updates that arrive
promptly were nudged by the process that committed them."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import websockets
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine
from websockets.exceptions import ConnectionClosed

from app.domain.access import Role
from app.domain.run_lifecycle import RunStatus, RunTrigger
from app.models import EventKind
from app.models.columns import utcnow
from app.services import history
from app.services.event_fanout import EventFanout
from app.services.history import RunFacts
from tests.e2e.checkers import REPORT_TO_INJECTED_URL, python_script
from tests.fixtures.access import issue_api_token
from tests.fixtures.database import DatabaseTarget
from tests.fixtures.stack import (
    PatrolStack,
    build_stack,
    eventually,
    graphql,
    patrol_settings,
    shell_checker,
)

RUN_UPDATES = """
subscription($filter: RunFilterInput, $after: String) {
  runUpdates(filter: $filter, after: $after) { eventId step status runId checkId }
}
"""
STATUS_CHANGES = """
subscription($filter: CheckStatusFilterInput) {
  checkStatusChanged(filter: $filter) { eventId previous status runId }
}
"""
TRIGGER = "mutation($id: ID!) { triggerCheck(id: $id) { id } }"
PAUSE = "mutation($id: ID!) { pauseCheck(id: $id) { id } }"
WHOLE_RUN = [
    ("CREATED", "PENDING"),
    ("STARTED", "RUNNING"),
    ("DECIDED", "SUCCEEDED"),
    ("FINALIZED", "SUCCEEDED"),
]
# The listener's slow timer, out of the way: only nudges make updates prompt.
nudged_only = patrol_settings(live_poll_seconds=60)


class LiveSocket:
    """A GraphQL websocket client speaking either protocol, authenticated with a token in its
    connection_init payload, as browsers do."""

    def __init__(self, connection: Any, protocol: str) -> None:
        self.connection = connection
        self.protocol = protocol
        self._early: list[dict[str, Any]] = []

    @classmethod
    async def open(
        cls,
        stack: PatrolStack,
        token: str | None,
        *,
        protocol: str = "graphql-transport-ws",
        **options: Any,
    ) -> LiveSocket:
        connection = await websockets.connect(
            stack.api_url.replace("http", "ws") + "/graphql",
            subprotocols=[protocol],  # type: ignore[list-item]
            **options,
        )
        live = cls(connection, protocol)
        init: dict[str, Any] = {"type": "connection_init"}
        if token is not None:
            init["payload"] = {"Authorization": f"Bearer {token}"}
        await live.send(init)
        return live

    async def acknowledged(self) -> bool:
        return (await self.receive())["type"] == "connection_ack"

    async def send(self, message: dict[str, Any]) -> None:
        await self.connection.send(json.dumps(message))

    async def receive(self, timeout: float = 30) -> dict[str, Any]:
        while True:
            message: dict[str, Any] = json.loads(
                await asyncio.wait_for(self.connection.recv(), timeout)
            )
            if message["type"] not in ("ka", "ping", "pong"):
                return message

    async def subscribe(self, document: str, **variables: Any) -> str:
        operation = uuid.uuid4().hex
        start = "subscribe" if self.protocol == "graphql-transport-ws" else "start"
        payload = {"query": document, "variables": variables}
        await self.send({"id": operation, "type": start, "payload": payload})
        return operation

    async def updates(self, count: int, field: str = "runUpdates") -> list[dict[str, Any]]:
        """The next `count` results, which must carry data."""
        items = []
        while len(items) < count:
            message = await self.receive()
            assert message["type"] in ("next", "data"), message
            assert "errors" not in message["payload"], message
            items.append(message["payload"]["data"][field])
        return items

    async def close(self) -> None:
        await self.connection.close()


async def viewer_token(stack: PatrolStack) -> str:
    runtime = stack.runtime
    return await issue_api_token(runtime.session_factory, runtime.keyring, Role.VIEWER)


def fanout(stack: PatrolStack) -> EventFanout:
    live: EventFanout = stack.app.state.live
    return live


async def subscriptions(stack: PatrolStack, count: int) -> None:
    async def registered() -> bool:
        return fanout(stack).subscriptions == count

    await eventually(registered, timeout=10)


@pytest.fixture
async def worker_process(api_stack: PatrolStack) -> AsyncIterator[None]:
    """`patrol worker` in a process of its own: it launches and finalizes the runs."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app.cli",
        "worker",
        env={**os.environ, **api_stack.process_environment()},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        yield
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 30)


def steps(updates: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(update["step"], update["status"]) for update in updates]


@nudged_only
async def test_a_viewer_sees_a_run_go_created_running_decided_finalized(
    api_stack: PatrolStack, worker_process: None
) -> None:
    check = await api_stack.add_check("live", python_script(REPORT_TO_INJECTED_URL))
    viewer = await LiveSocket.open(api_stack, await viewer_token(api_stack))
    assert await viewer.acknowledged()
    await viewer.subscribe(RUN_UPDATES, filter={"checkId": str(check.id)})
    await subscriptions(api_stack, 1)

    (run,) = (await graphql(api_stack, TRIGGER, id=str(check.id)))["data"]["triggerCheck"]

    updates = await viewer.updates(4)
    assert steps(updates) == WHOLE_RUN
    assert {update["runId"] for update in updates} == {run["id"]}
    await viewer.close()
    await subscriptions(api_stack, 0)


@nudged_only
async def test_a_filter_on_one_check_sees_nothing_of_another(
    api_stack: PatrolStack, worker_process: None
) -> None:
    mine = await api_stack.add_check("mine", python_script(REPORT_TO_INJECTED_URL))
    other = await api_stack.add_check("other", python_script(REPORT_TO_INJECTED_URL))
    token = await viewer_token(api_stack)
    filtered, everything = (
        await LiveSocket.open(api_stack, token),
        await LiveSocket.open(api_stack, token),
    )
    assert await filtered.acknowledged() and await everything.acknowledged()
    await filtered.subscribe(RUN_UPDATES, filter={"checkId": str(mine.id)})
    await everything.subscribe(RUN_UPDATES)
    await subscriptions(api_stack, 2)

    await graphql(api_stack, TRIGGER, id=str(other.id))
    await graphql(api_stack, TRIGGER, id=str(mine.id))

    seen_by_all = await everything.updates(8)
    assert {update["checkId"] for update in seen_by_all} == {str(mine.id), str(other.id)}
    mine_only = await filtered.updates(4)
    assert steps(mine_only) == WHOLE_RUN
    assert {update["checkId"] for update in mine_only} == {str(mine.id)}
    # Everything the other check did has been fanned out by now: none of it is on its way.
    with pytest.raises(TimeoutError):
        await filtered.receive(timeout=0.5)
    await filtered.close()
    await everything.close()


@nudged_only
async def test_reconnecting_with_the_last_event_id_misses_nothing(
    api_stack: PatrolStack, worker_process: None
) -> None:
    check = await api_stack.add_check("resumed", python_script(REPORT_TO_INJECTED_URL))
    token = await viewer_token(api_stack)
    first = await LiveSocket.open(api_stack, token)
    assert await first.acknowledged()
    await first.subscribe(RUN_UPDATES, filter={"checkId": str(check.id)})
    await subscriptions(api_stack, 1)

    await graphql(api_stack, TRIGGER, id=str(check.id))
    (created,) = await first.updates(1)
    await first.close()  # gone before the run goes on
    await api_stack.finalized_runs(check.id, 1)

    second = await LiveSocket.open(api_stack, token)
    assert await second.acknowledged()
    await second.subscribe(RUN_UPDATES, filter={"checkId": str(check.id)}, after=created["eventId"])
    missed = await second.updates(3)
    await graphql(api_stack, TRIGGER, id=str(check.id))
    live = await second.updates(4)

    assert steps([created, *missed]) == WHOLE_RUN
    assert steps(live) == WHOLE_RUN
    assert len({update["runId"] for update in live}) == 1
    event_ids = [update["eventId"] for update in [created, *missed, *live]]
    assert len(set(event_ids)) == len(event_ids)
    await second.close()


@nudged_only
async def test_a_scheduled_run_that_times_out_is_streamed_from_scheduler_and_sweep(
    api_stack: PatrolStack, worker_process: None
) -> None:
    viewer = await LiveSocket.open(api_stack, await viewer_token(api_stack))
    assert await viewer.acknowledged()
    await viewer.subscribe(RUN_UPDATES, filter={"trigger": "SCHEDULE"})
    await subscriptions(api_stack, 1)

    await api_stack.add_check("silent", shell_checker("sleep 60"), timeout="2s", run_interval="1h")

    assert steps(await viewer.updates(4)) == [
        ("CREATED", "PENDING"),
        ("STARTED", "RUNNING"),
        ("DECIDED", "TIMED_OUT"),
        ("FINALIZED", "TIMED_OUT"),
    ]
    await viewer.close()


@nudged_only
async def test_status_flips_are_streamed_from_the_pod_watch_and_from_a_pause(
    api_stack: PatrolStack, worker_process: None
) -> None:
    check = await api_stack.add_check("crashing", shell_checker("exit 3"))
    viewer = await LiveSocket.open(api_stack, await viewer_token(api_stack))
    assert await viewer.acknowledged()
    await viewer.subscribe(STATUS_CHANGES, filter={"checkId": str(check.id)})
    await subscriptions(api_stack, 1)

    (run,) = (await graphql(api_stack, TRIGGER, id=str(check.id)))["data"]["triggerCheck"]
    (erred,) = await viewer.updates(1, "checkStatusChanged")
    await graphql(api_stack, PAUSE, id=str(check.id))
    (paused,) = await viewer.updates(1, "checkStatusChanged")

    assert (erred["previous"], erred["status"], erred["runId"]) == ("UNKNOWN", "ERROR", run["id"])
    assert (paused["previous"], paused["status"], paused["runId"]) == ("ERROR", "PAUSED", None)
    await viewer.close()


async def test_the_legacy_graphql_ws_protocol_streams_runs_too(api_stack: PatrolStack) -> None:
    await api_stack.start_worker()
    check = await api_stack.add_check("legacy", python_script(REPORT_TO_INJECTED_URL))
    legacy = await LiveSocket.open(api_stack, await viewer_token(api_stack), protocol="graphql-ws")
    assert await legacy.acknowledged()
    operation = await legacy.subscribe(RUN_UPDATES, filter={"checkId": str(check.id)})
    await subscriptions(api_stack, 1)

    await graphql(api_stack, TRIGGER, id=str(check.id))

    assert steps(await legacy.updates(4)) == WHOLE_RUN
    await legacy.send({"id": operation, "type": "stop"})
    await subscriptions(api_stack, 0)
    await legacy.close()


@pytest.mark.parametrize("protocol", ["graphql-transport-ws", "graphql-ws"])
async def test_without_a_token_nobody_subscribes(api_stack: PatrolStack, protocol: str) -> None:
    anonymous = await LiveSocket.open(api_stack, None, protocol=protocol)
    try:
        answer = await anonymous.receive()
    except ConnectionClosed as closed:
        assert closed.rcvd is not None and closed.rcvd.code == 4403
    else:
        assert answer["type"] == "connection_error"
    assert fanout(api_stack).subscriptions == 0


# --- a client that stops reading -------------------------------------------------------------

QUEUE_SIZE = 100
BATCH = 50


@pytest.fixture
async def small_buffers_stack(
    tmp_path: Path,
    database_target: DatabaseTarget,
    engine: AsyncEngine,
    redis: Redis,
    redis_url: str,
) -> AsyncIterator[PatrolStack]:
    """The API with small queues and kernel send buffers of a fixed size: a client that stops
    reading fills both after a few hundred updates, not a few megabytes."""
    async with AsyncExitStack() as exit_stack:
        yield await build_stack(
            exit_stack,
            tmp_path,
            database_target,
            engine,
            redis_url,
            send_buffer=16 * 1024,
            live_queue_size=QUEUE_SIZE,
            live_poll_seconds=60,
        )


async def append_run_events(stack: PatrolStack, count: int) -> None:
    """`count` run events in one transaction, as a busy fleet would log them, then a nudge."""
    now = utcnow()
    facts = RunFacts(
        run_id=uuid.uuid4(),
        check_id=uuid.uuid4(),
        cluster_id=stack.cluster.id,
        status=RunStatus.PENDING,
        trigger=RunTrigger.SCHEDULE,
        scheduled_at=now - timedelta(seconds=1),
    )
    async with stack.runtime.session_factory.begin() as session:
        await history.record_runs(session, EventKind.RUN_CREATED, [facts] * count, now=now)
    stack.runtime.event_nudges.events_appended()


def stalled_socket(stack: PatrolStack) -> socket.socket:
    """Connected with a tiny receive buffer, which its reader will not empty."""
    raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    host, port = stack.api_url.removeprefix("http://").split(":")
    raw.connect((host, int(port)))
    raw.setblocking(False)
    return raw


async def test_a_stalled_subscriber_is_dropped_while_another_keeps_receiving(
    small_buffers_stack: PatrolStack,
) -> None:
    stack = small_buffers_stack
    token = await viewer_token(stack)
    keen = await LiveSocket.open(stack, token)
    # Uncompressed: similar updates deflate to a few bytes each, and would take long to fill it.
    stalled = await LiveSocket.open(
        stack, token, sock=stalled_socket(stack), max_queue=1, compression=None
    )
    assert await keen.acknowledged() and await stalled.acknowledged()
    await keen.subscribe(RUN_UPDATES)
    await stalled.subscribe(RUN_UPDATES)
    await subscriptions(stack, 2)

    received: list[dict[str, Any]] = []
    # The stalled client reads nothing from here on; the keen one reads every batch.
    while fanout(stack).subscriptions == 2:
        assert len(received) < 40 * BATCH, "the stalled subscriber was never dropped"
        await append_run_events(stack, BATCH)
        received += await keen.updates(BATCH)
    for _ in range(3):
        await append_run_events(stack, BATCH)
        received += await keen.updates(BATCH)
    assert len({update["eventId"] for update in received}) == len(received)

    # Reading again, it finds what was sent before its queue overflowed, then the reason.
    delivered: list[dict[str, Any]] = []
    while (message := await stalled.receive())["type"] == "next" and "errors" not in message[
        "payload"
    ]:
        delivered.append(message["payload"]["data"]["runUpdates"])
    (error,) = message["payload"]["errors"]
    assert error["extensions"]["code"] == "SUBSCRIBER_TOO_SLOW"
    assert error["extensions"]["after"] == delivered[-1]["eventId"]
    assert (await stalled.receive())["type"] == "complete"
    assert len(received) - len(delivered) > QUEUE_SIZE

    # And resuming from there, it gets the rest, each update once.
    await stalled.subscribe(RUN_UPDATES, after=error["extensions"]["after"])
    rest = await stalled.updates(len(received) - len(delivered))
    assert [update["eventId"] for update in delivered + rest] == [
        update["eventId"] for update in received
    ]
    await keen.close()
    await stalled.close()
    await subscriptions(stack, 0)
