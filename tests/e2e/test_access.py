"""Tokens and roles over real HTTP and websockets: each role may do exactly what it allows, and
callers without a live token get nothing."""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import websockets
from websockets.exceptions import ConnectionClosed, InvalidStatus

from app.domain.access import Role
from app.models.columns import utcnow
from app.services.tokens import revoke_token
from tests.api.test_access_rules import EXPECTED_ROLES
from tests.fixtures.access import bearer, issue_api_token
from tests.fixtures.stack import PatrolStack

MISSING = str(uuid.uuid4())


@dataclass(frozen=True)
class Operation:
    document: str
    variables: dict[str, Any]


# One harmless call per root field: allowed callers get data or a domain error (NOT_FOUND,
# BAD_USER_INPUT), never FORBIDDEN; nothing here changes anything.
OPERATIONS: dict[str, Operation] = {
    "clusters": Operation("{ clusters { id } }", {}),
    "fleet": Operation("{ fleet { clusters } }", {}),
    "cluster": Operation('{ cluster(name: "nope") { id } }', {}),
    "checks": Operation("{ checks { totalCount } }", {}),
    "check": Operation(f'{{ check(id: "{MISSING}") {{ id }} }}', {}),
    "runs": Operation("{ runs { totalCount } }", {}),
    "run": Operation(f'{{ run(id: "{MISSING}") {{ id }} }}', {}),
    "me": Operation("{ me { name role } }", {}),
    "statusSummary": Operation("{ statusSummary { checks { name } } }", {}),
    "apiTokens": Operation("{ apiTokens { name } }", {}),
    "auditLog": Operation("{ auditLog(first: 1) { totalCount } }", {}),
    "createCluster": Operation(
        "mutation($i: CreateClusterInput!) { createCluster(input: $i) { id } }",
        {"i": {"name": "Not A Name", "connectionKind": "LOCAL"}},
    ),
    "updateCluster": Operation(
        "mutation($i: UpdateClusterInput!) { updateCluster(input: $i) { id } }",
        {"i": {"id": MISSING}},
    ),
    "deleteCluster": Operation(f'mutation {{ deleteCluster(id: "{MISSING}") }}', {}),
    "createCheck": Operation(
        "mutation($i: CreateCheckInput!) { createCheck(input: $i) { id } }",
        {"i": {"name": "Not A Name", "namespace": "default", "timeout": "1s", "podSpec": {}}},
    ),
    "updateCheck": Operation(
        "mutation($i: UpdateCheckInput!) { updateCheck(input: $i) { id } }",
        {"i": {"id": MISSING}},
    ),
    "deleteCheck": Operation(f'mutation {{ deleteCheck(id: "{MISSING}") }}', {}),
    "pauseCheck": Operation(f'mutation {{ pauseCheck(id: "{MISSING}") {{ id }} }}', {}),
    "resumeCheck": Operation(f'mutation {{ resumeCheck(id: "{MISSING}") {{ id }} }}', {}),
    "triggerCheck": Operation(f'mutation {{ triggerCheck(id: "{MISSING}") {{ id }} }}', {}),
    "createApiToken": Operation(
        'mutation { createApiToken(input: {name: "not a name", role: VIEWER}) { token } }', {}
    ),
    "revokeApiToken": Operation(f'mutation {{ revokeApiToken(id: "{MISSING}") {{ id }} }}', {}),
    "channels": Operation("{ channels { id maskedUrls } }", {}),
    "rules": Operation("{ rules { id } }", {}),
    "silences": Operation("{ silences { id } }", {}),
    "alerts": Operation("{ alerts { totalCount } }", {}),
    "alert": Operation(f'{{ alert(id: "{MISSING}") {{ id }} }}', {}),
    "createChannel": Operation(
        "mutation($i: CreateChannelInput!) { createChannel(input: $i) { id } }",
        {"i": {"name": "refused", "urls": []}},
    ),
    "updateChannel": Operation(
        "mutation($i: UpdateChannelInput!) { updateChannel(input: $i) { id } }",
        {"i": {"id": MISSING}},
    ),
    "deleteChannel": Operation(f'mutation {{ deleteChannel(id: "{MISSING}") }}', {}),
    "testChannel": Operation(f'mutation {{ testChannel(id: "{MISSING}") {{ ok }} }}', {}),
    "createRule": Operation(
        "mutation($i: CreateRuleInput!) { createRule(input: $i) { id } }",
        {"i": {"name": " ", "condition": {"consecutiveFailures": {}}}},
    ),
    "updateRule": Operation(
        "mutation($i: UpdateRuleInput!) { updateRule(input: $i) { id } }", {"i": {"id": MISSING}}
    ),
    "deleteRule": Operation(f'mutation {{ deleteRule(id: "{MISSING}") }}', {}),
    "createSilence": Operation(
        "mutation($i: CreateSilenceInput!) { createSilence(input: $i) { id } }",
        {"i": {"matchers": {}, "window": {"recurring": {"cron": "0 2 * * *", "duration": "1h"}}}},
    ),
    "expireSilence": Operation(f'mutation {{ expireSilence(id: "{MISSING}") {{ id }} }}', {}),
    "deleteSilence": Operation(f'mutation {{ deleteSilence(id: "{MISSING}") }}', {}),
    "acknowledgeAlert": Operation(f'mutation {{ acknowledgeAlert(id: "{MISSING}") {{ id }} }}', {}),
    "commentAlert": Operation(
        f'mutation {{ commentAlert(id: "{MISSING}", text: "x") {{ id }} }}', {}
    ),
    "kuberhealthyManifests": Operation("{ kuberhealthyManifests }", {}),
    "checkCatalog": Operation("{ checkCatalog { id } }", {}),
    "createCheckFromCatalog": Operation(
        "mutation($i: CreateCheckFromCatalogInput!) { createCheckFromCatalog(input: $i) { id } }",
        {"i": {"template": "patrol-http", "name": "Not A Name", "namespace": "default"}},
    ),
    "applyManifests": Operation(
        'mutation { applyManifests(yaml: "", dryRun: true) { applied } }', {}
    ),
}


def required(field: str) -> Role:
    for fields in EXPECTED_ROLES.values():
        if field in fields:
            return fields[field]
    raise KeyError(field)


async def post(stack: PatrolStack, operation: Operation, headers: dict[str, str]) -> httpx.Response:
    async with httpx.AsyncClient(base_url=stack.api_url, timeout=10, headers=headers) as client:
        return await client.post(
            "/graphql", json={"query": operation.document, "variables": operation.variables}
        )


def error_codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors") or []]


def test_the_http_table_covers_every_query_and_mutation() -> None:
    # Subscriptions are served over websockets only: tests/e2e/test_live_updates.py.
    assert set(OPERATIONS) == {
        field for root in ("Query", "Mutation") for field in EXPECTED_ROLES[root]
    }


@pytest.mark.parametrize("role", list(Role))
async def test_each_role_may_do_exactly_what_it_allows_over_http(
    api_stack: PatrolStack, role: Role
) -> None:
    token = await issue_api_token(
        api_stack.runtime.session_factory, api_stack.runtime.keyring, role
    )
    outcomes = {}
    for field, operation in OPERATIONS.items():
        response = await post(api_stack, operation, bearer(token))
        assert response.status_code == 200, (field, response.text)
        codes = error_codes(response.json())
        outcomes[field] = "refused" if "FORBIDDEN" in codes else "allowed"
        assert "UNAUTHENTICATED" not in codes and "INTERNAL_SERVER_ERROR" not in codes, field
    expected = {
        field: "allowed" if role.allows(required(field)) else "refused" for field in OPERATIONS
    }
    assert outcomes == expected


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer patrol_not-a-real-token"},
        {"Authorization": "Bearer something-else"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer"},
    ],
    ids=["anonymous", "unknown token", "foreign token", "basic auth", "empty bearer"],
)
async def test_callers_without_a_live_token_get_401_for_every_operation(
    api_stack: PatrolStack, headers: dict[str, str]
) -> None:
    for field, operation in OPERATIONS.items():
        response = await post(api_stack, operation, headers)
        assert response.status_code == 401, field
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert error_codes(response.json()) == ["UNAUTHENTICATED"]


async def test_a_revoked_token_is_refused_at_once(api_stack: PatrolStack) -> None:
    runtime = api_stack.runtime
    token = await issue_api_token(runtime.session_factory, runtime.keyring, Role.ADMIN, "leaver")
    assert (await post(api_stack, OPERATIONS["me"], bearer(token))).status_code == 200
    async with runtime.session_factory.begin() as session:
        await revoke_token(session, name="leaver", now=utcnow())
    assert (await post(api_stack, OPERATIONS["me"], bearer(token))).status_code == 401


async def test_graphiql_is_served_without_a_token_and_queries_then_need_one(
    api_stack: PatrolStack,
) -> None:
    async with httpx.AsyncClient(base_url=api_stack.api_url, timeout=10) as client:
        page = await client.get("/graphql", headers={"Accept": "text/html"})
        assert page.status_code == 200 and "graphiql" in page.text.lower()
        anonymous = await client.get("/graphql", params={"query": "{ me { name } }"})
        assert anonymous.status_code == 401
        with_token = await client.get(
            "/graphql",
            params={"query": "{ me { name role } }"},
            headers=bearer(api_stack.admin_token),
        )
    assert with_token.json()["data"]["me"] == {"name": "stack-admin", "role": "ADMIN"}


async def test_admins_issue_tokens_that_are_shown_once_and_work_at_once(
    api_stack: PatrolStack,
) -> None:
    admin = bearer(api_stack.admin_token)
    issued = await post(
        api_stack,
        Operation(
            'mutation { createApiToken(input: {name: "ci-bot", role: EDITOR}) '
            "{ token apiToken { id name role } } }",
            {},
        ),
        admin,
    )
    created = issued.json()["data"]["createApiToken"]
    assert created["apiToken"]["name"] == "ci-bot" and created["apiToken"]["role"] == "EDITOR"
    me = await post(api_stack, OPERATIONS["me"], bearer(created["token"]))
    assert me.json()["data"]["me"] == {"name": "ci-bot", "role": "EDITOR"}
    listed = await post(api_stack, Operation("{ apiTokens { name role lastUsedAt } }", {}), admin)
    assert created["token"] not in listed.text
    assert {"name": "ci-bot", "role": "EDITOR"} in [
        {"name": t["name"], "role": t["role"]} for t in listed.json()["data"]["apiTokens"]
    ]
    revoked = await post(
        api_stack,
        Operation(
            "mutation($id: ID!) { revokeApiToken(id: $id) { revokedAt } }",
            {"id": created["apiToken"]["id"]},
        ),
        admin,
    )
    assert revoked.json()["data"]["revokeApiToken"]["revokedAt"] is not None
    assert (await post(api_stack, OPERATIONS["me"], bearer(created["token"]))).status_code == 401


async def test_every_mutation_is_audited_with_its_outcome_and_without_secrets(
    api_stack: PatrolStack,
) -> None:
    runtime = api_stack.runtime
    editor = await issue_api_token(runtime.session_factory, runtime.keyring, Role.EDITOR, "ed")
    await post(api_stack, OPERATIONS["deleteCheck"], bearer(editor))
    await post(
        api_stack,
        Operation(
            "mutation($i: CreateClusterInput!) { createCluster(input: $i) { id } }",
            {
                "i": {
                    "name": "prod",
                    "connectionKind": "TOKEN",
                    "apiUrl": "https://10.0.0.1:6443",
                    "token": "audit-secret-token-value",
                }
            },
        ),
        bearer(editor),
    )
    await post(
        api_stack,
        Operation(
            "mutation($i: CreateClusterInput!) { createCluster(input: $i) { id } }",
            {
                "i": {
                    "name": "prod",
                    "connectionKind": "TOKEN",
                    "apiUrl": "https://10.0.0.1:6443",
                    "token": "audit-secret-token-value",
                }
            },
        ),
        bearer(api_stack.admin_token),
    )
    log = await post(
        api_stack,
        Operation(
            "{ auditLog { totalCount nodes { actor actorRole operation target outcome "
            "arguments client at } } }",
            {},
        ),
        bearer(api_stack.admin_token),
    )
    assert "audit-secret-token-value" not in log.text
    records = log.json()["data"]["auditLog"]["nodes"]
    assert [(r["actor"], r["operation"], r["outcome"]) for r in records] == [
        ("stack-admin", "createCluster", "OK"),
        ("ed", "createCluster", "FORBIDDEN"),
        ("ed", "deleteCheck", "NOT_FOUND"),
    ]
    assert records[0]["arguments"]["input"]["token"] == "***"
    assert records[0]["target"] == "prod" and records[2]["target"] == MISSING
    assert records[0]["client"] == "127.0.0.1"
    viewer = await issue_api_token(runtime.session_factory, runtime.keyring, Role.VIEWER)
    refused = await post(api_stack, OPERATIONS["auditLog"], bearer(viewer))
    assert error_codes(refused.json()) == ["FORBIDDEN"]


async def test_anonymous_callers_are_viewers_when_anonymous_read_is_on(
    api_stack: PatrolStack, tmp_path: Any
) -> None:
    api_stack.runtime.settings.anonymous_read = True
    # The setting is read when the app is built: build a second app over the same runtime.
    from app.asgi import create_app

    transport = httpx.ASGITransport(app=create_app(api_stack.runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://patrol") as client:
        me = await client.post("/graphql", json={"query": "{ me { name role } }"})
        assert me.json()["data"]["me"] == {"name": "anonymous", "role": "VIEWER"}
        mutation = await client.post("/graphql", json={"query": OPERATIONS["deleteCheck"].document})
        assert error_codes(mutation.json()) == ["FORBIDDEN"]
        bad = await client.post(
            "/graphql", json={"query": "{ me { name } }"}, headers=bearer("patrol_wrong")
        )
        assert bad.status_code == 401


# --- websockets -----------------------------------------------------------------------------


async def open_socket(
    stack: PatrolStack,
    init_payload: dict[str, Any] | None,
    *,
    protocol: str = "graphql-transport-ws",
    headers: dict[str, str] | None = None,
) -> tuple[Any, dict[str, Any]]:
    """Connects, sends connection_init, and returns the socket with the server's first answer."""
    socket = await websockets.connect(
        stack.api_url.replace("http", "ws") + "/graphql",
        subprotocols=[protocol],  # type: ignore[list-item]
        additional_headers=headers or {},
    )
    message: dict[str, Any] = {"type": "connection_init"}
    if init_payload is not None:
        message["payload"] = init_payload
    await socket.send(json.dumps(message))
    try:
        answer = json.loads(await asyncio.wait_for(socket.recv(), timeout=10))
    except ConnectionClosed as closed:
        answer = {"closed": closed.rcvd.code if closed.rcvd else None}
    return socket, answer


async def ws_query(
    socket: Any,
    document: str,
    *,
    variables: dict[str, Any] | None = None,
    protocol: str = "graphql-transport-ws",
) -> Any:
    """Sends one operation and returns its first result (`next`/`data` or `error`)."""
    operation_id = uuid.uuid4().hex
    start = "subscribe" if protocol == "graphql-transport-ws" else "start"
    payload = {"query": document, "variables": variables or {}}
    await socket.send(json.dumps({"id": operation_id, "type": start, "payload": payload}))
    while True:
        message = json.loads(await asyncio.wait_for(socket.recv(), timeout=10))
        if message.get("id") == operation_id and message["type"] != "complete":
            return message


async def test_a_websocket_authenticates_with_its_connection_init_payload(
    api_stack: PatrolStack,
) -> None:
    runtime = api_stack.runtime
    viewer = await issue_api_token(runtime.session_factory, runtime.keyring, Role.VIEWER, "eyes")
    socket, answer = await open_socket(api_stack, {"Authorization": f"Bearer {viewer}"})
    async with socket:
        assert answer["type"] == "connection_ack"
        me = await ws_query(socket, "{ me { name role } }")
        assert me["payload"]["data"]["me"] == {"name": "eyes", "role": "VIEWER"}
        forbidden = await ws_query(socket, OPERATIONS["deleteCheck"].document)
        assert forbidden["payload"]["errors"][0]["extensions"]["code"] == "FORBIDDEN"


@pytest.mark.parametrize(
    "payload",
    [None, {}, {"Authorization": "Bearer patrol_unknown"}, {"Authorization": "token"}],
    ids=["no payload", "empty payload", "unknown token", "malformed"],
)
async def test_a_websocket_without_a_live_token_is_closed_with_4403(
    api_stack: PatrolStack, payload: dict[str, Any] | None
) -> None:
    socket, answer = await open_socket(api_stack, payload)
    async with socket:
        assert answer == {"closed": 4403}


async def test_a_websocket_of_a_revoked_token_is_closed_with_4403(api_stack: PatrolStack) -> None:
    runtime = api_stack.runtime
    token = await issue_api_token(runtime.session_factory, runtime.keyring, Role.ADMIN, "gone")
    async with runtime.session_factory.begin() as session:
        await revoke_token(session, name="gone", now=utcnow())
    socket, answer = await open_socket(api_stack, {"Authorization": f"Bearer {token}"})
    async with socket:
        assert answer == {"closed": 4403}


async def test_a_websocket_may_authenticate_with_the_upgrade_requests_header(
    api_stack: PatrolStack,
) -> None:
    socket, answer = await open_socket(api_stack, None, headers=bearer(api_stack.admin_token))
    async with socket:
        assert answer["type"] == "connection_ack"
        me = await ws_query(socket, "{ me { role } }")
        assert me["payload"]["data"]["me"] == {"role": "ADMIN"}
    with pytest.raises(InvalidStatus) as refused:
        await open_socket(api_stack, None, headers=bearer("patrol_unknown"))
    assert refused.value.response.status_code in (401, 403)


async def test_the_legacy_graphql_ws_protocol_authenticates_the_same_way(
    api_stack: PatrolStack,
) -> None:
    token = api_stack.admin_token
    socket, answer = await open_socket(
        api_stack, {"Authorization": f"Bearer {token}"}, protocol="graphql-ws"
    )
    async with socket:
        assert answer["type"] == "connection_ack"
        # The legacy protocol carries subscriptions only: a query is refused as a bad request.
        refused = await ws_query(socket, "{ me { role } }", protocol="graphql-ws")
        assert refused["type"] == "error"
        assert refused["payload"]["extensions"]["code"] == "BAD_REQUEST"
    socket, answer = await open_socket(api_stack, {}, protocol="graphql-ws")
    async with socket:
        assert answer.get("closed") == 4403 or answer.get("type") == "connection_error"


@pytest.mark.parametrize("role", list(Role))
async def test_each_role_may_do_exactly_what_it_allows_over_a_websocket(
    api_stack: PatrolStack, role: Role
) -> None:
    token = await issue_api_token(
        api_stack.runtime.session_factory, api_stack.runtime.keyring, role
    )
    socket, answer = await open_socket(api_stack, {"Authorization": f"Bearer {token}"})
    outcomes = {}
    async with socket:
        assert answer["type"] == "connection_ack"
        for field, operation in OPERATIONS.items():
            result = await ws_query(socket, operation.document, variables=operation.variables)
            codes = error_codes(result["payload"])
            outcomes[field] = "refused" if "FORBIDDEN" in codes else "allowed"
            assert "UNAUTHENTICATED" not in codes and "INTERNAL_SERVER_ERROR" not in codes, field
    expected = {
        field: "allowed" if role.allows(required(field)) else "refused" for field in OPERATIONS
    }
    assert outcomes == expected
