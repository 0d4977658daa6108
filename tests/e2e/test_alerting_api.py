"""The alerting API over real HTTP with an admin token: testChannel delivers to a real webhook and
a real SMTP server, and no answer, error or DEBUG log line holds a channel URL's secret part."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx

from app.api.sdl import SDL_PATH
from app.domain.access import Role
from app.domain.alerting.channel_urls import secret_fragments
from app.services.alerting.passes import evaluate_pass
from tests.e2e.test_access import error_codes
from tests.e2e.test_live_updates import LiveSocket, nudged_only, subscriptions, viewer_token
from tests.fixtures.access import bearer, issue_api_token
from tests.fixtures.alerting import decide, make_world
from tests.fixtures.http_target import free_port
from tests.fixtures.logs import LogFile
from tests.fixtures.receivers import SmtpServer, Webhook
from tests.fixtures.stack import PatrolStack

MARK = f"LEAK{uuid.uuid4().hex[:10]}"
CHANNEL = "id name maskedUrls tags"
TEST_CHANNEL = (
    "mutation($id: ID!) { testChannel(id: $id) { ok channel { name maskedUrls } "
    "results { index maskedUrl status permanent error } } }"
)


class Client:
    """Posts operations as the stack's admin and keeps every answer's raw text."""

    def __init__(self, stack: PatrolStack) -> None:
        self.stack = stack
        self.answers: list[str] = []

    async def post(self, query: str, **variables: Any) -> dict[str, Any]:
        async with httpx.AsyncClient(
            base_url=self.stack.api_url, timeout=30, headers=bearer(self.stack.admin_token)
        ) as client:
            response = await client.post("/graphql", json={"query": query, "variables": variables})
        assert response.status_code == 200, response.text
        self.answers.append(response.text)
        body: dict[str, Any] = response.json()
        return body


def urls(webhook: Webhook, smtp: SmtpServer) -> list[str]:
    return [
        f"json://127.0.0.1:{webhook.port}/hooks/{MARK}path?+X-Patrol-Key={MARK}header",
        f"mailto://127.0.0.1:{smtp.port}?from=patrol@example.com&to=oncall@example.com",
        # Nothing listens there: a failure whose error must not quote the URL.
        f"json://127.0.0.1:{free_port()}/dead/{MARK}dead",
    ]


async def test_test_channel_reaches_the_webhook_and_the_mailbox_and_names_the_failure(
    api_stack: PatrolStack, webhook: Webhook, smtp_server: SmtpServer
) -> None:
    client = Client(api_stack)
    created = await client.post(
        f"mutation($i: CreateChannelInput!) {{ createChannel(input: $i) {{ {CHANNEL} }} }}",
        i={"name": "payments on-call", "urls": urls(webhook, smtp_server)},
    )
    channel = created["data"]["createChannel"]
    tested = (await client.post(TEST_CHANNEL, id=channel["id"]))["data"]["testChannel"]
    assert tested["ok"] is False
    assert [r["status"] for r in tested["results"]] == ["SENT", "SENT", "FAILED"]
    assert [r["maskedUrl"] for r in tested["results"]] == channel["maskedUrls"]
    failed = tested["results"][2]
    assert failed["permanent"] is False and failed["error"]
    (request,) = webhook.requests
    assert request.path == f"/hooks/{MARK}path"
    assert request.headers["X-Patrol-Key"] == f"{MARK}header"
    assert request.body["title"] == "[INFO] Patrol test message"
    assert "Patrol alerts will arrive here" in request.body["message"]
    (mail,) = smtp_server.mails
    assert mail.recipients == ["oncall@example.com"]
    assert mail.message["Subject"] == "[INFO] Patrol test message"
    body = mail.message.get_payload(decode=True)
    assert isinstance(body, bytes) and "Patrol alerts will arrive here" in body.decode()


async def test_no_answer_error_or_debug_log_line_holds_a_channel_urls_secret(
    api_stack: PatrolStack, webhook: Webhook, smtp_server: SmtpServer, debug_logs: LogFile
) -> None:
    client = Client(api_stack)
    given = urls(webhook, smtp_server)
    channel = (
        await client.post(
            f"mutation($i: CreateChannelInput!) {{ createChannel(input: $i) {{ {CHANNEL} }} }}",
            i={"name": "leaky", "urls": given},
        )
    )["data"]["createChannel"]
    await client.post(f"{{ channels {{ {CHANNEL} }} }}")
    await client.post(TEST_CHANNEL, id=channel["id"])
    updated = await client.post(
        f"mutation($i: UpdateChannelInput!) {{ updateChannel(input: $i) {{ {CHANNEL} }} }}",
        i={"id": channel["id"], "urls": list(reversed(given))},
    )
    assert updated["data"]["updateChannel"]["maskedUrls"][0] == channel["maskedUrls"][2]
    refused = await client.post(
        "mutation($i: UpdateChannelInput!) { updateChannel(input: $i) { id } }",
        i={"id": channel["id"], "urls": [f"slack://T1JJ3T3L2/{MARK}slack"]},
    )
    assert error_codes(refused) == ["BAD_USER_INPUT"]
    duplicate = await client.post(
        "mutation($i: CreateChannelInput!) { createChannel(input: $i) { id } }",
        i={"name": "leaky", "urls": given},
    )
    assert error_codes(duplicate) == ["CONFLICT"]
    audit = await client.post("{ auditLog(first: 20) { nodes { operation arguments message } } }")
    assert {node["operation"] for node in audit["data"]["auditLog"]["nodes"]} >= {
        "createChannel",
        "testChannel",
        "updateChannel",
    }
    # As sent, and decoded (JSON escapes could hide a fragment from a plain search).
    answers = "\n".join([*client.answers, *(repr(json.loads(answer)) for answer in client.answers)])
    fragments = set().union(
        *(secret_fragments(url) for url in [*given, f"slack://T1JJ3T3L2/{MARK}slack"])
    )
    assert sorted(fragment for fragment in fragments if fragment in answers) == []
    assert MARK not in debug_logs.text()
    assert debug_logs.records()  # the server did log, at DEBUG


async def test_the_example_operations_work_as_the_readme_runs_them(
    api_stack: PatrolStack, webhook: Webhook
) -> None:
    """graphql/operations/alerting.graphql, by operation name, as README's curl lines send it."""
    document = (SDL_PATH.parent / "operations" / "alerting.graphql").read_text(encoding="utf-8")
    client = Client(api_stack)

    async def run(operation: str, **variables: Any) -> dict[str, Any]:
        async with httpx.AsyncClient(
            base_url=api_stack.api_url, timeout=30, headers=bearer(api_stack.admin_token)
        ) as http:
            response = await http.post(
                "/graphql",
                json={"query": document, "operationName": operation, "variables": variables},
            )
        body: dict[str, Any] = response.json()
        assert "errors" not in body, body
        client.answers.append(response.text)
        return body["data"]

    url = f"json://127.0.0.1:{webhook.port}/hooks/{MARK}"
    channel = (await run("CreateChannel", name="payments on-call", urls=[url]))["createChannel"]
    tested = (await run("TestChannel", id=channel["id"]))["testChannel"]
    assert tested["ok"] is True and len(webhook.requests) == 1
    rule = (await run("CreateRule", channelId=channel["id"]))["createRule"]
    assert rule["condition"]["failureThreshold"] == 3
    silence = (await run("SilenceNightlyMaintenance"))["createSilence"]
    assert silence["author"] == "stack-admin"
    assert (await run("FiringAlerts"))["alerts"]["totalCount"] == 0
    assert MARK not in "".join(client.answers)


@nudged_only
async def test_a_viewer_follows_alerts_over_a_websocket_and_an_editor_acknowledges_one(
    api_stack: PatrolStack, webhook: Webhook
) -> None:
    runtime = api_stack.runtime
    world = await make_world(
        runtime.session_factory, runtime.keyring, [f"json://127.0.0.1:{webhook.port}/x"]
    )
    socket = await LiveSocket.open(api_stack, await viewer_token(api_stack))
    try:
        assert await socket.acknowledged()
        await socket.subscribe(
            "subscription { alertUpdates { eventId alertId kind status severity } }"
        )
        await subscriptions(api_stack, 1)
        await decide(world, False, False, False)
        assert await evaluate_pass(runtime.session_factory, runtime.redis) == 1
        (firing,) = await socket.updates(1, "alertUpdates")
        assert (firing["kind"], firing["status"], firing["severity"]) == (
            "FIRING",
            "FIRING",
            "WARNING",
        )
        editor = await issue_api_token(runtime.session_factory, runtime.keyring, Role.EDITOR)
        async with httpx.AsyncClient(
            base_url=api_stack.api_url, timeout=30, headers=bearer(editor)
        ) as http:
            response = await http.post(
                "/graphql",
                json={
                    "query": "mutation($id: ID!) { acknowledgeAlert(id: $id) { status } }",
                    "variables": {"id": firing["alertId"]},
                },
            )
        assert response.json() == {"data": {"acknowledgeAlert": {"status": "ACKNOWLEDGED"}}}
        (acknowledged,) = await socket.updates(1, "alertUpdates")
        assert (acknowledged["alertId"], acknowledged["kind"]) == (
            firing["alertId"],
            "ACKNOWLEDGED",
        )
    finally:
        await socket.close()
