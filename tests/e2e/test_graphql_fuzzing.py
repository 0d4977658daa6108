"""Fuzzing the GraphQL API over real HTTP, as its admin: queries and mutations generated from the
schema (valid ones, and ones with one schema violation each), and operations sent with variables
of any shape. Whatever comes in, no answer is a 5xx and no error is INTERNAL_SERVER_ERROR.

The budget is fixed and the examples derandomized (tests/fixtures/fuzzing.py), so CI sends the
same cases every run; the counts are printed in the `fuzzing` section of pytest's summary.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, timedelta
from typing import Any

import graphql
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, mutations, nodes, queries

from app.api.schema import schema
from app.models import Check, CheckCluster, Cluster, ConnectionKind, Run, RunStatus, RunTrigger
from app.models.columns import utcnow
from tests.fixtures.access import bearer
from tests.fixtures.fuzzing import count_case
from tests.fixtures.stack import PatrolStack

EXAMPLES = 100
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

CLUSTER_ID = uuid.UUID("00000000-0000-4000-8000-00000000c1a5")
CHECK_ID = uuid.UUID("00000000-0000-4000-8000-0000000c4ec4")
RUN_ID = uuid.UUID("00000000-0000-4000-8000-000000000a11")
KNOWN_IDS = [str(CLUSTER_ID), str(CHECK_ID), str(RUN_ID)]
POD_SPEC = {"containers": [{"name": "probe", "image": "busybox:1.36", "command": ["true"]}]}

NAMES = st.from_regex(r"\A[_A-Za-z][_0-9A-Za-z]{0,8}\Z")
TEXT = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["", "\x00", "a\x00b", "\ud800", "x" * 5_000, "default", "1h", "-1s"]),
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(NAMES, children, max_size=4),
    max_leaves=12,
) | st.just(POD_SPEC)


def value_node(value: Any) -> graphql.ValueNode:
    """A GraphQL literal for a JSON value."""
    if value is None:
        return graphql.NullValueNode()
    if isinstance(value, bool):
        return nodes.Boolean(value)
    if isinstance(value, int):
        return nodes.Int(value)
    if isinstance(value, float):
        return nodes.Float(value)
    if isinstance(value, str):
        return nodes.String(value)
    if isinstance(value, list):
        return nodes.List([value_node(item) for item in value])
    return nodes.Object(
        [
            graphql.ObjectFieldNode(name=graphql.NameNode(value=key), value=value_node(item))
            for key, item in value.items()
        ]
    )


# Strings Patrol accepts somewhere (names, namespaces, durations, URLs), so that some generated
# mutations get past validation, and anything at all.
PLAUSIBLE = st.sampled_from(
    ["fuzz", "fuzz-2", "default", "10s", "1m", "1h30m", "https://10.0.0.1:6443", "prod-eu"]
)
SCALARS = {
    "String": st.one_of(PLAUSIBLE, PLAUSIBLE, TEXT).map(nodes.String),
    "ID": st.one_of(st.sampled_from(KNOWN_IDS), st.uuids().map(str), TEXT).map(nodes.String),
    "DateTime": st.one_of(
        st.datetimes(timezones=st.just(UTC)).map(lambda d: d.isoformat()),
        st.datetimes().map(lambda d: d.isoformat()),
        TEXT,
    ).map(nodes.String),
    "JSON": JSON_VALUES.map(value_node),
}
GRAPHQL_SCHEMA = schema._schema
DOCUMENTS = {
    "queries": st.one_of(
        queries(GRAPHQL_SCHEMA, custom_scalars=SCALARS),
        queries(GRAPHQL_SCHEMA, custom_scalars=SCALARS, mode=Mode.NEGATIVE),
    ),
    "mutations": st.one_of(
        mutations(GRAPHQL_SCHEMA, custom_scalars=SCALARS),
        mutations(GRAPHQL_SCHEMA, custom_scalars=SCALARS, mode=Mode.NEGATIVE),
    ),
}

# Operations whose variables the fuzzer fills with anything at all.
WITH_VARIABLES = {
    "createCheck": "mutation($input: CreateCheckInput!) { createCheck(input: $input) { id } }",
    "updateCheck": "mutation($input: UpdateCheckInput!) { updateCheck(input: $input) { id } }",
    "createCluster": "mutation($input: CreateClusterInput!) { createCluster(input: $input) { id } }",
    "triggerCheck": "mutation($id: ID!, $ids: [ID!]) { triggerCheck(id: $id, clusterIds: $ids) { id } }",
    "runs": "query($f: RunFilterInput, $n: Int, $a: String) { runs(filter: $f, first: $n, after: $a) { nodes { id logs { content } } } }",
    "checks": "query($f: CheckFilterInput, $n: Int) { checks(filter: $f, first: $n) { totalCount nodes { id } } }",
    "check": "query($id: ID, $ns: String, $name: String) { check(id: $id, namespace: $ns, name: $name) { id } }",
    "auditLog": "query($f: AuditFilterInput, $n: Int) { auditLog(filter: $f, first: $n) { nodes { id } } }",
}
CHECK_INPUT = st.fixed_dictionaries(
    {},
    optional={
        "id": st.sampled_from(KNOWN_IDS) | JSON_VALUES,
        "name": st.sampled_from(["fuzz", "Fuzz!", ""]) | JSON_VALUES,
        "namespace": st.just("default") | JSON_VALUES,
        "podSpec": JSON_VALUES,
        "timeout": st.sampled_from(["10s", "0s", "1e9h", "99999999999999999999h"]) | JSON_VALUES,
        "runInterval": st.sampled_from(["1m", None, "8785h"]) | JSON_VALUES,
        "labels": JSON_VALUES,
        "extraAnnotations": JSON_VALUES,
        "clusterIds": st.lists(st.sampled_from(KNOWN_IDS) | st.uuids().map(str), max_size=3)
        | JSON_VALUES,
        "connectionKind": st.sampled_from(["LOCAL", "TOKEN", "KUBECONFIG"]) | JSON_VALUES,
        "apiUrl": st.sampled_from(["https://10.0.0.1:6443", "ftp://x"]) | JSON_VALUES,
    },
)
VARIABLES = st.fixed_dictionaries(
    {},
    optional={
        "input": CHECK_INPUT | JSON_VALUES,
        "id": st.sampled_from(KNOWN_IDS) | JSON_VALUES,
        "ids": st.lists(st.sampled_from(KNOWN_IDS), max_size=3) | JSON_VALUES,
        "f": JSON_VALUES,
        "n": st.integers(min_value=-10, max_value=1_000) | JSON_VALUES,
        "a": JSON_VALUES,
        "ns": JSON_VALUES,
        "name": JSON_VALUES,
    },
)


@pytest.fixture
async def client(api_stack: PatrolStack) -> AsyncIterator[httpx.AsyncClient]:
    """The API with a cluster, a check and a run under ids the fuzzer knows."""
    now = utcnow()
    async with api_stack.runtime.session_factory.begin() as session:
        session.add(Cluster(id=CLUSTER_ID, name="fuzz", connection_kind=ConnectionKind.LOCAL))
        session.add(Check(id=CHECK_ID, name="fuzz", namespace="default", pod_spec=POD_SPEC, timeout_seconds=30))
        await session.flush()
        session.add(CheckCluster(check_id=CHECK_ID, cluster_id=CLUSTER_ID))
        session.add(
            Run(
                id=RUN_ID,
                check_id=CHECK_ID,
                cluster_id=CLUSTER_ID,
                check_version=1,
                trigger=RunTrigger.MANUAL,
                status=RunStatus.SUCCEEDED,
                ok=True,
                scheduled_at=now - timedelta(minutes=1),
                started_at=now - timedelta(minutes=1),
                finished_at=now,
            )
        )
    async with httpx.AsyncClient(
        base_url=api_stack.api_url, headers=bearer(api_stack.admin_token), timeout=30
    ) as client:
        yield client


async def send(client: httpx.AsyncClient, target: str, body: dict[str, Any]) -> None:
    """Send one operation; fail on a 5xx or an unexpected error."""
    response = await client.post(
        "/graphql", content=json.dumps(body), headers={"content-type": "application/json"}
    )
    assert response.status_code < 500, (response.status_code, response.text[:500], body)
    if response.status_code != 200:
        count_case(target, f"HTTP {response.status_code}")
        return
    errors = response.json().get("errors") or []
    codes = sorted({(error.get("extensions") or {}).get("code") for error in errors})
    assert None not in codes, (errors, body)
    assert "INTERNAL_SERVER_ERROR" not in codes, (errors, body)
    count_case(target, f"HTTP 200 {' '.join(codes) or 'OK'}")


@FUZZ_SETTINGS
@given(document=DOCUMENTS["queries"])
async def test_generated_queries_never_fail_the_server(
    client: httpx.AsyncClient, document: str
) -> None:
    await send(client, "GraphQL queries from the schema", {"query": document})


@FUZZ_SETTINGS
@given(document=DOCUMENTS["mutations"])
async def test_generated_mutations_never_fail_the_server(
    client: httpx.AsyncClient, document: str
) -> None:
    await send(client, "GraphQL mutations from the schema", {"query": document})


@FUZZ_SETTINGS
@given(operation=st.sampled_from(sorted(WITH_VARIABLES)), variables=VARIABLES)
async def test_variables_of_any_shape_never_fail_the_server(
    client: httpx.AsyncClient, operation: str, variables: dict[str, Any]
) -> None:
    used = {
        name: value
        for name, value in variables.items()
        if f"${name}" in WITH_VARIABLES[operation]
    }
    await send(
        client,
        "GraphQL operations with fuzzed variables",
        {"query": WITH_VARIABLES[operation], "variables": used},
    )
