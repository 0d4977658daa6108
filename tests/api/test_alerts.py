"""Alerts through the API: the list with filters and pages, one alert with its transitions,
comments and deliveries (masked URLs only), and acknowledging and commenting as an editor."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from app.adapters.notifier import AppriseNotifier
from app.db import SessionFactory
from app.domain.access import Role
from app.domain.alerting.channel_urls import secret_fragments
from app.domain.alerting.delivery import RetryPolicy
from app.keyring import Keyring
from app.models.columns import utcnow
from app.services.alerting.delivery import DeliverySettings, deliver_due
from app.services.alerting.engine import evaluate_new_events
from tests.api.builders import error_codes
from tests.api.conftest import ExecuteAs
from tests.fixtures.alerting import World, decide, make_world
from tests.fixtures.receivers import Webhook
from tests.fixtures.statements import counting_statements

SECRET = "k9Xq2S3CRETtoken"
QUICK = DeliverySettings(policy=RetryPolicy(first_delay=timedelta(0), max_attempts=2))

ALERT = """query($id: ID!) { alert(id: $id) {
  id status severity firedAt acknowledgedAt acknowledgedBy resolvedAt notified
  check { name namespace } cluster { name }
  transitions { sequence kind fromStatus toStatus cause runId actor text silencedBy }
  comments { author text }
  deliveries { channelName status attemptsMade lastError
    attempts { attempt urlIndex maskedUrl result permanent error } } } }"""
ALERTS = """query($filter: AlertFilterInput, $first: Int, $after: String) {
  alerts(filter: $filter, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } nodes { id status checkId clusterId } } }"""
ACKNOWLEDGE = "mutation($id: ID!, $c: String!) { acknowledgeAlert(id: $id, comment: $c) { status acknowledgedBy } }"
COMMENT = "mutation($id: ID!, $t: String!) { commentAlert(id: $id, text: $t) { id } }"


async def deliver(world: World, keyring: Keyring) -> None:
    notifier = AppriseNotifier(timeout_seconds=5)
    while await deliver_due(
        world.session_factory, notifier, keyring, worker="w1", now=utcnow(), settings=QUICK
    ):
        pass


async def firing_world(session_factory: SessionFactory, keyring: Keyring, url: str) -> World:
    world = await make_world(session_factory, keyring, [url])
    await decide(world, False, False, False)
    await evaluate_new_events(session_factory)
    await deliver(world, keyring)
    return world


async def test_a_firing_alert_shows_its_transitions_and_its_delivery_masked(
    gql: Any, session_factory: SessionFactory, keyring: Keyring, webhook: Webhook
) -> None:
    url = f"json://127.0.0.1:{webhook.port}/hooks/{SECRET}"
    world = await firing_world(session_factory, keyring, url)
    listed = (await gql(ALERTS))["alerts"]
    assert listed["totalCount"] == 1
    (node,) = listed["nodes"]
    assert (node["status"], node["checkId"], node["clusterId"]) == (
        "FIRING",
        str(world.check.id),
        str(world.cluster.id),
    )
    alert = (await gql(ALERT, {"id": node["id"]}))["alert"]
    assert alert["check"] == {"name": "ping", "namespace": "web"}
    assert alert["cluster"] == {"name": "c0"} and alert["notified"] is True
    (firing,) = alert["transitions"]
    assert (firing["kind"], firing["toStatus"], firing["cause"]) == ("FIRING", "FIRING", "RUN")
    assert firing["runId"] is not None and firing["silencedBy"] is None
    (delivery,) = alert["deliveries"]
    assert (delivery["channelName"], delivery["status"], delivery["attemptsMade"]) == (
        "on-call",
        "SENT",
        1,
    )
    (attempt,) = delivery["attempts"]
    assert attempt["result"] == "SENT"
    assert attempt["maskedUrl"] == f"json://127.0.0.1:{webhook.port}/…/***"
    assert all(fragment not in repr(alert) for fragment in secret_fragments(url))
    assert len(webhook.requests) == 1


async def test_a_failed_delivery_shows_the_scrubbed_error_of_each_attempt(
    gql: Any, session_factory: SessionFactory, keyring: Keyring, webhook: Webhook
) -> None:
    webhook.status = 500
    url = f"json://127.0.0.1:{webhook.port}/hooks/{SECRET}"
    await firing_world(session_factory, keyring, url)
    (node,) = (await gql(ALERTS))["alerts"]["nodes"]
    (delivery,) = (await gql(ALERT, {"id": node["id"]}))["alert"]["deliveries"]
    assert delivery["status"] == "FAILED" and delivery["attemptsMade"] == 2
    assert [a["result"] for a in delivery["attempts"]] == ["FAILED", "FAILED"]
    assert all(a["permanent"] is False and "500" in a["error"] for a in delivery["attempts"])
    assert all(fragment not in repr(delivery) for fragment in secret_fragments(url))


async def test_editors_acknowledge_and_comment_and_the_alert_records_both(
    execute_as: ExecuteAs, session_factory: SessionFactory, keyring: Keyring, webhook: Webhook
) -> None:
    await firing_world(session_factory, keyring, f"json://127.0.0.1:{webhook.port}/x")
    editor, viewer = await execute_as(Role.EDITOR), await execute_as(Role.VIEWER)
    listed = await viewer(ALERTS)
    (node,) = listed.data["alerts"]["nodes"]  # type: ignore[index]
    refused = await viewer(ACKNOWLEDGE, {"id": node["id"], "c": "mine"})
    assert error_codes(refused) == [("FORBIDDEN", None)]
    acknowledged = await editor(ACKNOWLEDGE, {"id": node["id"], "c": "looking"})
    assert acknowledged.errors is None
    assert acknowledged.data["acknowledgeAlert"]["status"] == "ACKNOWLEDGED"  # type: ignore[index]
    assert (await editor(COMMENT, {"id": node["id"], "t": "db restarted"})).errors is None
    empty = await editor(COMMENT, {"id": node["id"], "t": " "})
    assert error_codes(empty) == [("BAD_USER_INPUT", "text")]
    alert = (await viewer(ALERT, {"id": node["id"]})).data["alert"]  # type: ignore[index]
    assert alert["acknowledgedBy"].startswith("test-editor-")
    assert [t["kind"] for t in alert["transitions"]] == ["FIRING", "ACKNOWLEDGED", "COMMENTED"]
    assert alert["transitions"][1]["text"] == "looking"
    assert [c["text"] for c in alert["comments"]] == ["db restarted"]
    assert (await viewer(ALERTS, {"filter": {"status": ["ACKNOWLEDGED"]}})).data == {
        "alerts": {
            "totalCount": 1,
            "pageInfo": {
                "hasNextPage": False,
                "endCursor": listed.data["alerts"]["pageInfo"]["endCursor"],
            },  # type: ignore[index]
            "nodes": [{**node, "status": "ACKNOWLEDGED"}],
        }
    }


async def test_filters_and_pages_cover_every_alert_once(
    gql: Any, session_factory: SessionFactory, keyring: Keyring, webhook: Webhook
) -> None:
    world = await make_world(
        session_factory, keyring, [f"json://127.0.0.1:{webhook.port}/x"], clusters=3
    )
    for cluster in world.clusters:
        await decide(world, False, False, False, cluster=cluster)
    await evaluate_new_events(session_factory)
    seen, after = [], None
    while True:
        page = (await gql(ALERTS, {"first": 2, "after": after}))["alerts"]
        seen += [node["id"] for node in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == 3
    one = {"clusterId": str(world.clusters[1].id), "status": ["FIRING"], "severity": ["WARNING"]}
    assert (await gql(ALERTS, {"filter": one}))["alerts"]["totalCount"] == 1
    none = {"status": ["RESOLVED"], "ruleId": str(world.rule_id)}
    assert (await gql(ALERTS, {"filter": none}))["alerts"]["totalCount"] == 0


async def test_bad_ids_cursors_and_instants_are_bad_input(execute: Any) -> None:
    cases = [
        (ALERT, {"id": "nope"}, "id"),
        (ALERTS, {"after": "garbage"}, "after"),
        (ALERTS, {"filter": {"since": "2024-01-01T00:00:00"}}, "filter.since"),
        (ALERTS, {"filter": {"checkId": "x"}}, "filter.checkId"),
    ]
    for document, variables, field in cases:
        assert error_codes(await execute(document, variables)) == [("BAD_USER_INPUT", field)]
    missing = await execute(ACKNOWLEDGE, {"id": "00000000-0000-0000-0000-000000000000", "c": ""})
    assert error_codes(missing) == [("NOT_FOUND", "id")]


async def test_deleting_the_channel_then_the_rule_takes_their_deliveries_and_alerts_along(
    gql: Any, session_factory: SessionFactory, keyring: Keyring, webhook: Webhook
) -> None:
    world = await firing_world(session_factory, keyring, f"json://127.0.0.1:{webhook.port}/x")
    (node,) = (await gql(ALERTS))["alerts"]["nodes"]
    await gql("mutation($id: ID!) { deleteChannel(id: $id) }", {"id": str(world.channel_id)})
    assert (await gql(ALERT, {"id": node["id"]}))["alert"]["deliveries"] == []
    await gql("mutation($id: ID!) { deleteRule(id: $id) }", {"id": str(world.rule_id)})
    assert (await gql(ALERTS))["alerts"]["totalCount"] == 0
    assert (await gql(ALERT, {"id": node["id"]}))["alert"] is None


async def test_a_page_of_alerts_with_their_history_costs_a_constant_number_of_queries(
    gql: Any,
    session_factory: SessionFactory,
    keyring: Keyring,
    webhook: Webhook,
    engine: AsyncEngine,
) -> None:
    world = await make_world(
        session_factory, keyring, [f"json://127.0.0.1:{webhook.port}/x"], clusters=4
    )
    for cluster in world.clusters:
        await decide(world, False, False, False, cluster=cluster)
    await evaluate_new_events(session_factory)
    await deliver(world, keyring)
    page = """query($first: Int) { alerts(first: $first) { nodes { id check { name }
      cluster { name } transitions { kind } comments { text }
      deliveries { status attempts { result } } } } }"""
    with counting_statements(engine) as one:
        await gql(page, {"first": 1})
    with counting_statements(engine) as four:
        answer = await gql(page, {"first": 4})
    assert len(answer["alerts"]["nodes"]) == 4
    assert all(node["deliveries"][0]["status"] == "SENT" for node in answer["alerts"]["nodes"])
    assert len(four) == len(one), four
