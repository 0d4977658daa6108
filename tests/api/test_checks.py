from __future__ import annotations

from typing import Any

import pytest

from tests.api.builders import (
    CHECKS_PAGE,
    CREATE_CHECK,
    CREATE_CLUSTER,
    DELETE_CHECK,
    PAUSE_CHECK,
    POD_SPEC,
    RESUME_CHECK,
    UPDATE_CHECK,
    check_input,
    cluster_input,
    error_codes,
)

MISSING_ID = "00000000-0000-0000-0000-000000000002"


@pytest.fixture
async def cluster_ids(gql: Any) -> list[str]:
    return [
        (await gql(CREATE_CLUSTER, {"input": cluster_input(name)}))["createCluster"]["id"]
        for name in ("alpha", "beta")
    ]


async def all_checks(gql: Any) -> list[dict[str, Any]]:
    query = "query { checks(first: 500) { nodes { id name namespace version enabled timeout } } }"
    nodes: list[dict[str, Any]] = (await gql(query))["checks"]["nodes"]
    return nodes


async def test_creates_a_check_with_durations_as_text_and_seconds(
    gql: Any, cluster_ids: list[str]
) -> None:
    check = (
        await gql(
            CREATE_CHECK,
            {
                "input": check_input(
                    cluster_ids=cluster_ids,
                    runInterval="1h30m",
                    timeout="2m",
                    labels={"team": "sre"},
                    extraLabels={"app.kubernetes.io/part-of": "patrol"},
                    extraAnnotations={"example.com/note": "any text at all"},
                    description="pings",
                )
            },
        )
    )["createCheck"]
    assert check["runInterval"] == "1h30m0s"
    assert check["runIntervalSeconds"] == 5400
    assert check["timeout"] == "2m0s"
    assert check["timeoutSeconds"] == 120
    assert check["podSpec"] == POD_SPEC
    assert check["labels"] == {"team": "sre"}
    assert check["extraAnnotations"] == {"example.com/note": "any text at all"}
    assert check["version"] == 1 and check["enabled"] is True
    assert sorted(c["name"] for c in check["clusters"]) == ["alpha", "beta"]


async def test_a_check_without_interval_is_on_demand_only(gql: Any) -> None:
    check = (await gql(CREATE_CHECK, {"input": check_input(runInterval=None)}))["createCheck"]
    assert check["runInterval"] is None and check["runIntervalSeconds"] is None


async def test_fetches_a_check_by_id_or_by_namespace_and_name(gql: Any) -> None:
    created = (await gql(CREATE_CHECK, {"input": check_input()}))["createCheck"]
    by_id = await gql("query($id: ID!) { check(id: $id) { name } }", {"id": created["id"]})
    by_name = await gql('query { check(namespace: "patrol", name: "ping") { id } }')
    missing = await gql('query { check(namespace: "patrol", name: "nope") { id } }')
    assert by_id["check"]["name"] == "ping"
    assert by_name["check"]["id"] == created["id"]
    assert missing["check"] is None


async def test_every_edit_increments_the_version(gql: Any, cluster_ids: list[str]) -> None:
    created = (await gql(CREATE_CHECK, {"input": check_input()}))["createCheck"]
    updated = (
        await gql(
            UPDATE_CHECK,
            {
                "input": {
                    "id": created["id"],
                    "timeout": "45s",
                    "clusterIds": cluster_ids[1:],
                    "expectedVersion": 1,
                }
            },
        )
    )["updateCheck"]
    paused = (await gql(PAUSE_CHECK, {"id": created["id"]}))["pauseCheck"]
    resumed = (await gql(RESUME_CHECK, {"id": created["id"]}))["resumeCheck"]

    assert updated["version"] == 2 and updated["timeoutSeconds"] == 45
    assert [c["name"] for c in updated["clusters"]] == ["beta"]
    assert updated["runInterval"] == "1m0s" and updated["name"] == "ping"
    assert updated["updatedAt"] >= created["updatedAt"]
    assert paused == {"id": created["id"], "enabled": False, "version": 3}
    assert resumed == {"id": created["id"], "enabled": True, "version": 4}


async def test_pausing_a_paused_check_changes_nothing(gql: Any) -> None:
    created = (await gql(CREATE_CHECK, {"input": check_input(enabled=False)}))["createCheck"]
    paused = (await gql(PAUSE_CHECK, {"id": created["id"]}))["pauseCheck"]
    assert paused["version"] == 1 and paused["enabled"] is False


async def test_update_can_switch_a_check_to_on_demand(gql: Any) -> None:
    created = (await gql(CREATE_CHECK, {"input": check_input()}))["createCheck"]
    updated = (await gql(UPDATE_CHECK, {"input": {"id": created["id"], "runInterval": None}}))[
        "updateCheck"
    ]
    assert updated["runInterval"] is None and updated["timeout"] == "30s"


async def test_deletes_a_check(gql: Any) -> None:
    created = (await gql(CREATE_CHECK, {"input": check_input()}))["createCheck"]
    assert (await gql(DELETE_CHECK, {"id": created["id"]}))["deleteCheck"] == created["id"]
    assert await all_checks(gql) == []


async def test_the_same_name_is_allowed_in_another_namespace(gql: Any) -> None:
    await gql(CREATE_CHECK, {"input": check_input()})
    await gql(CREATE_CHECK, {"input": check_input(namespace="other")})
    assert len(await all_checks(gql)) == 2


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"podSpec": {"containers": []}}, "BAD_USER_INPUT", "podSpec.containers"),
        ({"podSpec": {}}, "BAD_USER_INPUT", "podSpec.containers"),
        (
            {"podSpec": {"containers": [{"name": "c"}]}},
            "BAD_USER_INPUT",
            "podSpec.containers[0].image",
        ),
        (
            {"podSpec": {"containers": [{"name": "c", "image": "i"}, {"image": "i"}]}},
            "BAD_USER_INPUT",
            "podSpec.containers[1].name",
        ),
        (
            {"podSpec": {"containers": [{"name": "c", "image": "i", "imagePulPolicy": "Always"}]}},
            "BAD_USER_INPUT",
            "podSpec.containers[0].imagePulPolicy",
        ),
        ({"podSpec": "containers: []"}, "BAD_USER_INPUT", "podSpec"),
        ({"timeout": "2m", "runInterval": "1m"}, "BAD_USER_INPUT", "timeout"),
        ({"timeout": "soon"}, "BAD_USER_INPUT", "timeout"),
        ({"runInterval": "1 minute"}, "BAD_USER_INPUT", "runInterval"),
        ({"runInterval": "0s"}, "BAD_USER_INPUT", "runInterval"),
        ({"timeout": "-5s"}, "BAD_USER_INPUT", "timeout"),
        ({"name": "Ping!"}, "BAD_USER_INPUT", "name"),
        ({"namespace": "a.b"}, "BAD_USER_INPUT", "namespace"),
        ({"labels": {"bad key!": "v"}}, "BAD_USER_INPUT", "labels"),
        ({"extraLabels": {"k": "has space"}}, "BAD_USER_INPUT", "extraLabels.k"),
        ({"clusterIds": [MISSING_ID]}, "NOT_FOUND", "clusterIds"),
        ({"clusterIds": ["nope"]}, "BAD_USER_INPUT", "clusterIds"),
    ],
)
async def test_rejects_invalid_check_input_and_creates_nothing(
    gql: Any, execute: Any, overrides: dict[str, Any], code: str, field: str
) -> None:
    result = await execute(CREATE_CHECK, {"input": check_input(**overrides)})
    assert error_codes(result) == [(code, field)]
    assert await all_checks(gql) == []


async def test_error_messages_name_the_field_path(execute: Any) -> None:
    result = await execute(
        CREATE_CHECK, {"input": check_input(podSpec={"containers": [{"name": "c"}]})}
    )
    assert result.errors[0].message == "podSpec.containers[0].image: required"


async def test_rejects_a_duplicate_name_in_a_namespace_as_a_conflict(
    gql: Any, execute: Any
) -> None:
    await gql(CREATE_CHECK, {"input": check_input()})
    other = (await gql(CREATE_CHECK, {"input": check_input("other")}))["createCheck"]

    created = await execute(CREATE_CHECK, {"input": check_input()})
    renamed = await execute(UPDATE_CHECK, {"input": {"id": other["id"], "name": "ping"}})

    assert error_codes(created) == [("CONFLICT", "name")]
    assert error_codes(renamed) == [("CONFLICT", "name")]
    assert sorted(c["name"] for c in await all_checks(gql)) == ["other", "ping"]


async def test_rejects_an_edit_of_a_stale_version_as_a_conflict(gql: Any, execute: Any) -> None:
    created = (await gql(CREATE_CHECK, {"input": check_input()}))["createCheck"]
    await gql(PAUSE_CHECK, {"id": created["id"]})
    result = await execute(
        UPDATE_CHECK, {"input": {"id": created["id"], "expectedVersion": 1, "timeout": "10s"}}
    )
    assert error_codes(result) == [("CONFLICT", "expectedVersion")]


@pytest.mark.parametrize("mutation", [DELETE_CHECK, PAUSE_CHECK, RESUME_CHECK])
async def test_rejects_mutations_of_unknown_checks_as_not_found(
    execute: Any, mutation: str
) -> None:
    result = await execute(mutation, {"id": MISSING_ID})
    assert error_codes(result) == [("NOT_FOUND", "id")]


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"timeout": "5m"}, "BAD_USER_INPUT", "timeout"),
        ({"runInterval": "10s"}, "BAD_USER_INPUT", "timeout"),
        ({"podSpec": {"containers": []}}, "BAD_USER_INPUT", "podSpec.containers"),
        ({"clusterIds": [MISSING_ID]}, "NOT_FOUND", "clusterIds"),
        ({"namespace": None}, "BAD_USER_INPUT", "namespace"),
        ({"timeout": "1x"}, "BAD_USER_INPUT", "timeout"),
    ],
)
async def test_a_rejected_check_update_changes_nothing(
    gql: Any,
    execute: Any,
    cluster_ids: list[str],
    changes: dict[str, Any],
    code: str,
    field: str,
) -> None:
    created = (await gql(CREATE_CHECK, {"input": check_input(cluster_ids=cluster_ids)}))[
        "createCheck"
    ]
    result = await execute(
        UPDATE_CHECK, {"input": {"id": created["id"], "description": "changed", **changes}}
    )
    assert error_codes(result) == [(code, field)]
    after = await gql(
        "query($id: ID!) { check(id: $id) { id description version timeout clusters { id } } }",
        {"id": created["id"]},
    )
    assert after["check"] == {
        "id": created["id"],
        "description": "",
        "version": 1,
        "timeout": "30s",
        "clusters": [{"id": i} for i in cluster_ids],
    }


async def test_deleting_a_cluster_removes_it_from_its_checks(
    gql: Any, cluster_ids: list[str]
) -> None:
    created = (await gql(CREATE_CHECK, {"input": check_input(cluster_ids=cluster_ids)}))[
        "createCheck"
    ]
    await gql("mutation($id: ID!) { deleteCluster(id: $id) }", {"id": cluster_ids[0]})
    data = await gql(
        CHECKS_PAGE.replace("node { id name namespace }", "node { id clusters { id } }")
    )
    assert data["checks"]["edges"][0]["node"] == {
        "id": created["id"],
        "clusters": [{"id": cluster_ids[1]}],
    }
