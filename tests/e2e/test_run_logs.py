"""`runLogs` over real websockets against a served API and the local cluster: a running checker's
log arrives as it is written, a finalized run's stored log is sent, and every refusal is a
GraphQL error with a code, never a hang."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from prometheus_client import REGISTRY
from websockets.exceptions import ConnectionClosed

from app.domain.access import Role
from app.models import Cluster, ConnectionKind
from tests.e2e.checkers import python_script
from tests.e2e.runs import running_run
from tests.e2e.test_live_updates import LiveSocket, subscriptions, viewer_token
from tests.fixtures.access import issue_api_token
from tests.fixtures.stack import PatrolStack, eventually, graphql, patrol_settings, shell_checker

RUN_LOGS = """
subscription($runId: ID!, $container: String) {
  runLogs(runId: $runId, container: $container) {
    __typename
    ... on RunLogChunk { container text at }
    ... on RunLogEnd { reason at }
  }
}
"""


def followed_logs() -> float:
    value = REGISTRY.get_sample_value("patrol_live_log_streams")
    assert value is not None
    return value


CLUSTER_TOKEN = "never-shown-cluster-token"
TRIGGER = "mutation($id: ID!) { triggerCheck(id: $id) { id } }"


def talking_checker(gate: Path) -> dict[str, Any]:
    """Writes a line, waits until `gate` exists, writes another and exits."""
    return python_script(
        "import os, sys, time\n"
        "print('first line', flush=True)\n"
        f"while not os.path.exists({str(gate)!r}):\n"
        "    time.sleep(0.05)\n"
        "print('second line', flush=True)\n"
        "sys.exit(3)\n"
    )


async def subscribed(stack: PatrolStack, token: str | None = None, **variables: Any) -> LiveSocket:
    socket = await LiveSocket.open(stack, token or await viewer_token(stack))
    assert await socket.acknowledged()
    await socket.subscribe(RUN_LOGS, **variables)
    return socket


async def events_until_end(socket: LiveSocket) -> list[dict[str, Any]]:
    events = []
    while not events or events[-1]["__typename"] != "RunLogEnd":
        message = await socket.receive()
        assert message["type"] == "next", message
        assert "errors" not in message["payload"], message
        events.append(message["payload"]["data"]["runLogs"])
    message = await socket.receive()
    assert message["type"] == "complete", message
    return events


async def refusal(socket: LiveSocket) -> dict[str, Any]:
    """The one error the subscription ends with."""
    message = await socket.receive()
    assert message["type"] == "next" and message["payload"].get("errors"), message
    (error,) = message["payload"]["errors"]
    error_payload: dict[str, Any] = error
    return error_payload


def text_of(events: list[dict[str, Any]]) -> str:
    return "".join(event["text"] for event in events if event["__typename"] == "RunLogChunk")


async def started_run(stack: PatrolStack, check_id: uuid.UUID) -> str:
    (run,) = (await graphql(stack, TRIGGER, id=str(check_id)))["data"]["triggerCheck"]

    async def has_pod() -> bool:
        found = await stack.run(uuid.UUID(run["id"]))
        return found is not None and found.pod_name is not None

    await eventually(has_pod, timeout=30)
    run_id: str = run["id"]
    return run_id


async def test_a_running_checkers_lines_arrive_before_its_pod_ends(
    stack: PatrolStack, tmp_path: Path
) -> None:
    gate = tmp_path / "gate"
    check = await stack.add_check("talking", talking_checker(gate))
    run_id = await started_run(stack, check.id)
    socket = await subscribed(stack, runId=run_id)

    first = await socket.receive()
    assert first["payload"]["data"]["runLogs"]["text"] == "first line\n", first
    assert first["payload"]["data"]["runLogs"]["container"] == "checker"
    assert followed_logs() == 1
    gate.touch()
    rest = await events_until_end(socket)

    assert text_of(rest) == "second line\n"
    assert rest[-1]["reason"] == "POD_ENDED"
    assert followed_logs() == 0
    await socket.close()


async def test_a_client_that_goes_away_stops_the_follow(stack: PatrolStack, tmp_path: Path) -> None:
    gate = tmp_path / "gate"
    check = await stack.add_check("left", talking_checker(gate))
    run_id = await started_run(stack, check.id)
    socket = await subscribed(stack, runId=run_id)
    await socket.receive()

    await socket.close()

    async def stopped() -> bool:
        return followed_logs() == 0

    await eventually(stopped, timeout=10)
    gate.touch()


async def test_a_pod_deleted_while_followed_ends_with_pod_gone(
    stack: PatrolStack, tmp_path: Path
) -> None:
    gate = tmp_path / "gate"
    check = await stack.add_check("deleted", talking_checker(gate))
    run_id = await started_run(stack, check.id)
    socket = await subscribed(stack, runId=run_id)
    await socket.receive()

    run = await stack.run(uuid.UUID(run_id))
    assert run is not None and run.pod_name is not None and run.pod_namespace is not None
    client = stack.runtime.kube.client(stack.cluster)
    await client.delete_pod(run.pod_namespace, run.pod_name)
    events = await events_until_end(socket)

    assert events[-1]["reason"] == "POD_GONE"
    await socket.close()


async def test_a_finalized_run_sends_its_stored_log(stack: PatrolStack) -> None:
    check = await stack.add_check("done", shell_checker("echo stored words; exit 3"))
    (run,) = (await graphql(stack, TRIGGER, id=str(check.id)))["data"]["triggerCheck"]
    await stack.finalized_runs(check.id, 1)
    socket = await subscribed(stack, runId=run["id"], container="checker")

    events = await events_until_end(socket)

    assert text_of(events) == "stored words\n"
    assert [event["__typename"] for event in events] == ["RunLogChunk", "RunLogEnd"]
    assert events[-1]["reason"] == "STORED"
    await socket.subscribe(RUN_LOGS, runId=run["id"], container="sidecar")
    assert (await refusal(socket))["extensions"]["code"] == "BAD_USER_INPUT"
    await socket.close()


@patrol_settings(live_log_max_bytes=10)
async def test_a_log_longer_than_the_limit_ends_with_limit(
    stack: PatrolStack, tmp_path: Path
) -> None:
    gate = tmp_path / "gate"
    check = await stack.add_check("chatty", talking_checker(gate))
    run_id = await started_run(stack, check.id)
    socket = await subscribed(stack, runId=run_id)

    events = await events_until_end(socket)

    assert text_of(events) == "first line"
    assert events[-1]["reason"] == "LIMIT"
    gate.touch()
    await socket.close()


async def test_an_unknown_run_is_not_found(api_stack: PatrolStack) -> None:
    socket = await subscribed(api_stack, runId=str(uuid.uuid4()))

    assert (await refusal(socket))["extensions"]["code"] == "NOT_FOUND"
    await socket.close()


async def test_an_unknown_container_is_bad_user_input(stack: PatrolStack, tmp_path: Path) -> None:
    gate = tmp_path / "gate"
    check = await stack.add_check("one-container", talking_checker(gate))
    run_id = await started_run(stack, check.id)
    socket = await subscribed(stack, runId=run_id, container="sidecar")

    error = await refusal(socket)

    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "sidecar" in error["message"]
    gate.touch()
    await socket.close()


async def test_a_cluster_that_does_not_answer_is_log_unavailable(api_stack: PatrolStack) -> None:
    run = await running_run(api_stack, "unreachable")
    async with api_stack.runtime.session_factory() as session:
        dead = Cluster(
            name="dead",
            connection_kind=ConnectionKind.TOKEN,
            # Nothing listens on port 9 (discard) here: the connection is refused.
            api_url="http://127.0.0.1:9",
            token_encrypted=api_stack.runtime.keyring.encrypt(CLUSTER_TOKEN),
        )
        session.add(dead)
        await session.commit()
        stored = await session.get(type(run), run.id)
        assert stored is not None
        stored.cluster_id = dead.id
        session.add(stored)
        await session.commit()
    socket = await subscribed(api_stack, runId=str(run.id))

    error = await refusal(socket)

    assert error["extensions"]["code"] == "LOG_UNAVAILABLE"
    assert CLUSTER_TOKEN not in str(error)
    await socket.close()


async def test_a_viewer_may_read_and_nobody_without_a_token(api_stack: PatrolStack) -> None:
    viewer = await issue_api_token(
        api_stack.runtime.session_factory, api_stack.runtime.keyring, Role.VIEWER
    )
    allowed = await subscribed(api_stack, viewer, runId=str(uuid.uuid4()))
    assert (await refusal(allowed))["extensions"]["code"] == "NOT_FOUND"
    await allowed.close()

    anonymous = await LiveSocket.open(api_stack, None)
    try:
        answer = await anonymous.receive()
    except ConnectionClosed as closed:
        assert closed.rcvd is not None and closed.rcvd.code == 4403
    else:
        assert answer["type"] == "connection_error"


async def test_a_run_still_waiting_for_its_pod_is_followed_once_the_pod_starts(
    api_stack: PatrolStack, tmp_path: Path
) -> None:
    gate = tmp_path / "gate"
    check = await api_stack.add_check("waiting", talking_checker(gate))
    # No worker yet: the run stays pending, without a pod.
    (run,) = (await graphql(api_stack, TRIGGER, id=str(check.id)))["data"]["triggerCheck"]
    socket = await subscribed(api_stack, runId=run["id"])
    await subscriptions(api_stack, 1)

    await api_stack.start_worker()
    first = await socket.receive()
    gate.touch()
    rest = await events_until_end(socket)

    assert first["payload"]["data"]["runLogs"]["text"] == "first line\n", first
    assert text_of(rest) == "second line\n"
    assert rest[-1]["reason"] == "POD_ENDED"
    await socket.close()


def two_containers(gate: Path) -> dict[str, Any]:
    spec = talking_checker(gate)
    helper = {
        "name": "helper",
        "image": "busybox:1.36",
        "command": ["sh", "-c", "echo from the helper"],
    }
    spec["containers"].append(helper)
    return spec


async def test_without_a_container_every_containers_log_is_followed(
    stack: PatrolStack, tmp_path: Path
) -> None:
    gate = tmp_path / "gate"
    check = await stack.add_check("pair", two_containers(gate))
    run_id = await started_run(stack, check.id)
    socket = await subscribed(stack, runId=run_id)
    gate.touch()

    events = await events_until_end(socket)

    by_container: dict[str, str] = {}
    for event in events[:-1]:
        by_container[event["container"]] = by_container.get(event["container"], "") + event["text"]
    assert by_container == {
        "checker": "first line\nsecond line\n",
        "helper": "from the helper\n",
    }
    assert events[-1]["reason"] == "POD_ENDED"
    await socket.close()


@patrol_settings(live_log_timeout_seconds=1)
async def test_a_cluster_api_that_hangs_is_log_unavailable_within_the_timeout(
    stack: PatrolStack, tmp_path: Path
) -> None:
    gate = tmp_path / "gate"
    check = await stack.add_check("hanging", talking_checker(gate))
    run_id = await started_run(stack, check.id)
    run = await stack.run(uuid.UUID(run_id))
    assert run is not None and run.pod_name is not None
    stack.local.faults.delay_requests(60, count=10**6, path_contains=f"/pods/{run.pod_name}")
    socket = await subscribed(stack, runId=run_id)

    error = await refusal(socket)

    assert error["extensions"]["code"] == "LOG_UNAVAILABLE"
    stack.local.faults.clear()
    gate.touch()
    await socket.close()


@patrol_settings(live_log_max_bytes=10)
async def test_a_stored_log_longer_than_the_limit_ends_with_limit(stack: PatrolStack) -> None:
    check = await stack.add_check("long-stored", shell_checker("echo stored words; exit 3"))
    (run,) = (await graphql(stack, TRIGGER, id=str(check.id)))["data"]["triggerCheck"]
    await stack.finalized_runs(check.id, 1)
    socket = await subscribed(stack, runId=run["id"])

    events = await events_until_end(socket)

    assert text_of(events) == "stored wor"
    assert events[-1]["reason"] == "LIMIT"
    await socket.close()
