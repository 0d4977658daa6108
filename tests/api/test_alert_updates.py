"""alertUpdates straight against the schema, on a fan-out driven by hand: each transition the
engine or a person records reaches subscribers, filtered, and can be replayed from its eventId."""

from __future__ import annotations

import asyncio

from app.db import SessionFactory
from app.domain.access import Principal
from app.keyring import Keyring
from app.models.columns import utcnow
from app.services.alerting.actions import acknowledge_alert
from app.services.alerting.engine import evaluate_new_events
from app.services.event_fanout import EventFanout
from tests.api.test_subscriptions import fanout, registered, subscription, viewer
from tests.fixtures.alerting import alerts, decide, make_world
from tests.fixtures.receivers import Webhook

__all__ = ["fanout", "viewer"]  # fixtures, shared with the run subscriptions' tests

ALERT_UPDATES = """
subscription($filter: AlertUpdateFilterInput, $after: String) {
  alertUpdates(filter: $filter, after: $after) {
    eventId alertId ruleId checkId kind status severity silencedBy notified
  }
}
"""


async def test_a_firing_and_its_acknowledgement_reach_a_subscriber_in_order(
    session_factory: SessionFactory,
    keyring: Keyring,
    fanout: EventFanout,
    viewer: Principal,
    webhook: Webhook,
) -> None:
    world = await make_world(session_factory, keyring, [f"json://127.0.0.1:{webhook.port}/x"])
    async with subscription(session_factory, keyring, fanout, viewer, ALERT_UPDATES) as updates:
        pending = asyncio.ensure_future(updates.data("alertUpdates", 2))
        await registered(fanout, 1)
        await decide(world, False, False, False)
        await evaluate_new_events(session_factory)
        (firing,) = [alert.id for alert in await alerts(session_factory)]
        async with session_factory.begin() as session:
            await acknowledge_alert(session, firing, actor="oncall", at=utcnow())
        await fanout.catch_up()
        received = await pending
    assert [(u["kind"], u["status"]) for u in received] == [
        ("FIRING", "FIRING"),
        ("ACKNOWLEDGED", "ACKNOWLEDGED"),
    ]
    assert {u["alertId"] for u in received} == {str(firing)}
    assert received[0]["ruleId"] == str(world.rule_id) and received[0]["notified"] is True
    assert received[0]["checkId"] == str(world.check.id)

    # Replayed from the first one's position: the acknowledgement only.
    async with subscription(
        session_factory, keyring, fanout, viewer, ALERT_UPDATES, after=received[0]["eventId"]
    ) as replay:
        (again,) = await replay.data("alertUpdates", 1)
    assert again == received[1]


async def test_a_filter_on_status_and_rule_leaves_out_the_rest(
    session_factory: SessionFactory,
    keyring: Keyring,
    fanout: EventFanout,
    viewer: Principal,
    webhook: Webhook,
) -> None:
    world = await make_world(session_factory, keyring, [f"json://127.0.0.1:{webhook.port}/x"])
    wanted = {"status": ["RESOLVED"], "ruleId": str(world.rule_id)}
    async with subscription(
        session_factory, keyring, fanout, viewer, ALERT_UPDATES, filter=wanted
    ) as updates:
        pending = asyncio.ensure_future(updates.data("alertUpdates", 1))
        await registered(fanout, 1)
        await decide(world, False, False, False, True, True)
        await evaluate_new_events(session_factory)
        await fanout.catch_up()
        (resolved,) = await pending
        assert await updates.nothing_more()
    assert (resolved["kind"], resolved["status"]) == ("RESOLVED", "RESOLVED")
