"""`checkChanges` over a real websocket: every check created, edited, paused or deleted through the
API reaches subscribers promptly (the listener's slow poll is out of the way, so these were
nudged), in order, filtered by check or namespace, and resumable from the last eventId. A refused
edit changes nothing and says nothing."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.test_live_updates import LiveSocket, nudged_only, subscriptions, viewer_token
from tests.fixtures.stack import PatrolStack, graphql, shell_checker

CHECK_CHANGES = """
subscription($filter: CheckChangeFilterInput, $after: String) {
  checkChanges(filter: $filter, after: $after) { eventId change checkId namespace name version }
}
"""
CREATE = "mutation($i: CreateCheckInput!) { createCheck(input: $i) { id } }"
UPDATE = "mutation($i: UpdateCheckInput!) { updateCheck(input: $i) { version } }"
PAUSE = "mutation($id: ID!) { pauseCheck(id: $id) { version } }"
DELETE = "mutation($id: ID!) { deleteCheck(id: $id) }"


async def api(stack: PatrolStack, query: str, **variables: Any) -> dict[str, Any]:
    body = await graphql(stack, query, **variables)
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


async def create(stack: PatrolStack, name: str, namespace: str = "default") -> str:
    check = {
        "name": name,
        "namespace": namespace,
        "timeout": "1m",
        "runInterval": None,  # on demand: nothing runs, only the check itself changes
        "podSpec": shell_checker("true"),
    }
    check_id: str = (await api(stack, CREATE, i=check))["createCheck"]["id"]
    return check_id


def summary(changes: list[dict[str, Any]]) -> list[tuple[str, str, str, int]]:
    return [(c["change"], c["namespace"], c["name"], c["version"]) for c in changes]


@nudged_only
async def test_every_change_to_a_check_reaches_subscribers_in_order_and_only_where_selected(
    api_stack: PatrolStack,
) -> None:
    token = await viewer_token(api_stack)
    everything = await LiveSocket.open(api_stack, token)
    team = await LiveSocket.open(api_stack, token)
    assert await everything.acknowledged() and await team.acknowledged()
    await everything.subscribe(CHECK_CHANGES)
    await team.subscribe(CHECK_CHANGES, filter={"namespace": "team-b"})
    await subscriptions(api_stack, 2)

    check_id = await create(api_stack, "edited")
    await api(api_stack, UPDATE, i={"id": check_id, "description": "now described"})
    # Refused: the check is at version 2. Its transaction rolls back, and logs nothing.
    refused = await graphql(api_stack, UPDATE, i={"id": check_id, "expectedVersion": 1})
    assert refused["errors"][0]["extensions"]["code"] == "CONFLICT"
    await api(api_stack, PAUSE, id=check_id)
    await api(api_stack, DELETE, id=check_id)
    other_id = await create(api_stack, "elsewhere", namespace="team-b")

    seen = await everything.updates(5, field="checkChanges")
    assert summary(seen) == [
        ("CREATED", "default", "edited", 1),
        ("UPDATED", "default", "edited", 2),
        ("UPDATED", "default", "edited", 3),
        ("DELETED", "default", "edited", 3),
        ("CREATED", "team-b", "elsewhere", 1),
    ]
    assert [c["checkId"] for c in seen] == [check_id] * 4 + [other_id]
    (theirs,) = await team.updates(1, field="checkChanges")
    assert theirs["checkId"] == other_id
    # All of the above has been fanned out by now: nothing else is on its way to `team`.
    with pytest.raises(TimeoutError):
        await team.receive(timeout=0.5)
    await everything.close()
    await team.close()


@nudged_only
async def test_a_subscriber_back_with_its_last_event_id_gets_the_changes_it_missed(
    api_stack: PatrolStack,
) -> None:
    token = await viewer_token(api_stack)
    first = await LiveSocket.open(api_stack, token)
    assert await first.acknowledged()
    await first.subscribe(CHECK_CHANGES, filter={"namespace": "team-c"})
    await subscriptions(api_stack, 1)
    check_id = await create(api_stack, "followed", namespace="team-c")
    await api(api_stack, UPDATE, i={"id": check_id, "name": "renamed"})
    created, renamed = await first.updates(2, field="checkChanges")
    assert summary([created, renamed]) == [
        ("CREATED", "team-c", "followed", 1),
        ("UPDATED", "team-c", "renamed", 2),
    ]
    await first.close()

    await api(api_stack, PAUSE, id=check_id)  # while nobody follows
    await api(api_stack, DELETE, id=check_id)
    await create(api_stack, "unrelated", namespace="team-c")

    second = await LiveSocket.open(api_stack, token)
    assert await second.acknowledged()
    await second.subscribe(CHECK_CHANGES, filter={"checkId": check_id}, after=renamed["eventId"])
    missed = await second.updates(2, field="checkChanges")
    assert summary(missed) == [
        ("UPDATED", "team-c", "renamed", 3),
        ("DELETED", "team-c", "renamed", 3),
    ]
    await second.close()
