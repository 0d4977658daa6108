from __future__ import annotations

import uuid
from typing import Any

import pytest

from app.models import Cluster
from tests.api.builders import (
    CLUSTER_FIELDS,
    CLUSTERS,
    CREATE_CLUSTER,
    DELETE_CLUSTER,
    UPDATE_CLUSTER,
    cluster_input,
    error_codes,
)

SECRETS = {
    "kubeconfig": (
        "apiVersion: v1\nkind: Config\n"
        "clusters:\n- name: c\n  cluster: {server: 'https://10.0.0.2:6443'}\n"
        "users:\n- name: u\n  user: {token: KUBECONFIG-SECRET}\n"
        "contexts:\n- name: admin\n  context: {cluster: c, user: u}\n"
    ),
    "token": "TOKEN-SECRET-123",
    "caCert": "-----BEGIN CERTIFICATE-----\nCA-SECRET\n-----END CERTIFICATE-----",
}


async def test_creates_lists_and_fetches_a_cluster(gql: Any) -> None:
    created = (await gql(CREATE_CLUSTER, {"input": cluster_input(labels={"env": "prod"})}))[
        "createCluster"
    ]
    assert created["name"] == "prod-eu"
    assert created["connectionKind"] == "LOCAL"
    assert created["labels"] == {"env": "prod"}
    assert created["hasCredentials"] is False

    listed = (await gql(CLUSTERS))["clusters"]
    assert [c["id"] for c in listed] == [created["id"]]
    by_id = await gql("query($id: ID!) { cluster(id: $id) { name } }", {"id": created["id"]})
    by_name = await gql('query { cluster(name: "prod-eu") { id } }')
    assert by_id["cluster"]["name"] == "prod-eu"
    assert by_name["cluster"]["id"] == created["id"]


async def test_unknown_cluster_lookups_return_null(gql: Any) -> None:
    data = await gql(
        'query { a: cluster(id: "00000000-0000-0000-0000-000000000000") { id } '
        'b: cluster(name: "nope") { id } }'
    )
    assert data == {"a": None, "b": None}


async def test_updates_only_the_given_fields(gql: Any) -> None:
    created = (await gql(CREATE_CLUSTER, {"input": cluster_input(description="eu")}))[
        "createCluster"
    ]
    updated = (
        await gql(
            UPDATE_CLUSTER,
            {"input": {"id": created["id"], "name": "prod-eu-1", "defaultNamespace": "checks"}},
        )
    )["updateCluster"]
    assert updated["name"] == "prod-eu-1"
    assert updated["defaultNamespace"] == "checks"
    assert updated["description"] == "eu"
    assert updated["updatedAt"] >= created["updatedAt"]


async def test_deletes_a_cluster(gql: Any) -> None:
    created = (await gql(CREATE_CLUSTER, {"input": cluster_input()}))["createCluster"]
    assert (await gql(DELETE_CLUSTER, {"id": created["id"]}))["deleteCluster"] == created["id"]
    assert (await gql(CLUSTERS))["clusters"] == []


async def test_secrets_are_stored_but_never_returned(gql: Any, execute: Any) -> None:
    kubeconfig = (
        await gql(
            CREATE_CLUSTER,
            {
                "input": cluster_input(
                    "kc",
                    connectionKind="KUBECONFIG",
                    kubeconfig=SECRETS["kubeconfig"],
                    context="admin",
                )
            },
        )
    )["createCluster"]
    token = (
        await gql(
            CREATE_CLUSTER,
            {
                "input": cluster_input(
                    "tok",
                    connectionKind="TOKEN",
                    apiUrl="https://10.0.0.1:6443",
                    token=SECRETS["token"],
                    caCert=SECRETS["caCert"],
                )
            },
        )
    )["createCluster"]
    assert kubeconfig["hasCredentials"] and token["hasCredentials"]
    assert kubeconfig["context"] == "admin"
    assert token["apiUrl"] == "https://10.0.0.1:6443"

    responses = [
        await execute(CLUSTERS),
        await execute(f'query {{ cluster(name: "tok") {{ {CLUSTER_FIELDS} }} }}'),
        await execute(UPDATE_CLUSTER, {"input": {"id": token["id"], "description": "x"}}),
        await execute('query { __type(name: "Cluster") { fields { name } } }'),
    ]
    field_names = {f["name"] for f in responses[-1].data["__type"]["fields"]}
    assert not field_names & {"kubeconfig", "token", "caCert"}
    for response in responses:
        text = repr(response.data) + repr(response.errors)
        for secret in SECRETS.values():
            assert secret not in text
        assert "KUBECONFIG-SECRET" not in text and "CA-SECRET" not in text


async def test_clearing_the_only_credential_clears_has_credentials(gql: Any) -> None:
    created = (await gql(CREATE_CLUSTER, {"input": cluster_input(caCert=SECRETS["caCert"])}))[
        "createCluster"
    ]
    assert created["hasCredentials"]
    updated = (await gql(UPDATE_CLUSTER, {"input": {"id": created["id"], "caCert": None}}))[
        "updateCluster"
    ]
    assert updated["hasCredentials"] is False


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"name": "Not_A_DNS_Name"}, "BAD_USER_INPUT", "name"),
        ({"connectionKind": "KUBECONFIG"}, "BAD_USER_INPUT", "kubeconfig"),
        ({"connectionKind": "TOKEN", "token": "t"}, "BAD_USER_INPUT", "apiUrl"),
        ({"connectionKind": "TOKEN", "apiUrl": "https://k:6443"}, "BAD_USER_INPUT", "token"),
        ({"apiUrl": "ftp://k"}, "BAD_USER_INPUT", "apiUrl"),
        ({"defaultNamespace": "Bad NS"}, "BAD_USER_INPUT", "defaultNamespace"),
        ({"labels": {"env": 3}}, "BAD_USER_INPUT", "labels"),
        ({"labels": ["a"]}, "BAD_USER_INPUT", "labels"),
    ],
)
async def test_rejects_invalid_cluster_input_and_creates_nothing(
    gql: Any, execute: Any, overrides: dict[str, Any], code: str, field: str
) -> None:
    result = await execute(CREATE_CLUSTER, {"input": cluster_input(**overrides)})
    assert error_codes(result) == [(code, field)]
    assert result.errors[0].message.startswith(field)
    assert (await gql(CLUSTERS))["clusters"] == []


async def test_rejects_a_duplicate_cluster_name_as_a_conflict(gql: Any, execute: Any) -> None:
    await gql(CREATE_CLUSTER, {"input": cluster_input()})
    other = (await gql(CREATE_CLUSTER, {"input": cluster_input("other")}))["createCluster"]

    created = await execute(CREATE_CLUSTER, {"input": cluster_input()})
    renamed = await execute(UPDATE_CLUSTER, {"input": {"id": other["id"], "name": "prod-eu"}})

    assert error_codes(created) == [("CONFLICT", "name")]
    assert error_codes(renamed) == [("CONFLICT", "name")]
    assert sorted(c["name"] for c in (await gql(CLUSTERS))["clusters"]) == ["other", "prod-eu"]


async def test_rejects_edits_of_unknown_clusters_as_not_found(execute: Any) -> None:
    missing = "00000000-0000-0000-0000-000000000001"
    updated = await execute(UPDATE_CLUSTER, {"input": {"id": missing, "name": "x"}})
    deleted = await execute(DELETE_CLUSTER, {"id": missing})
    assert error_codes(updated) == [("NOT_FOUND", "id")]
    assert error_codes(deleted) == [("NOT_FOUND", "id")]


async def test_rejects_a_malformed_id_as_bad_input(execute: Any) -> None:
    result = await execute(DELETE_CLUSTER, {"id": "not-a-uuid"})
    assert error_codes(result) == [("BAD_USER_INPUT", "id")]


async def test_a_rejected_update_changes_nothing(gql: Any, execute: Any) -> None:
    created = (await gql(CREATE_CLUSTER, {"input": cluster_input()}))["createCluster"]
    result = await execute(
        UPDATE_CLUSTER,
        {"input": {"id": created["id"], "description": "changed", "connectionKind": "TOKEN"}},
    )
    assert error_codes(result) == [("BAD_USER_INPUT", "apiUrl")]
    assert (await gql(CLUSTERS))["clusters"] == [created]


async def test_refuses_null_for_a_required_field_on_update(gql: Any, execute: Any) -> None:
    created = (await gql(CREATE_CLUSTER, {"input": cluster_input()}))["createCluster"]
    result = await execute(UPDATE_CLUSTER, {"input": {"id": created["id"], "name": None}})
    assert error_codes(result) == [("BAD_USER_INPUT", "name")]


async def test_an_api_url_carrying_credentials_is_refused_without_echoing_them(
    execute: Any,
) -> None:
    result = await execute(
        CREATE_CLUSTER,
        {
            "input": cluster_input(
                "tok", connectionKind="TOKEN", apiUrl="https://admin:hunter2@10.0.0.1", token="t"
            )
        },
    )
    assert error_codes(result) == [("BAD_USER_INPUT", "apiUrl")]
    assert "hunter2" not in repr(result.errors) and "credentials" in result.errors[0].message


async def test_stored_secrets_are_encrypted_kept_by_omission_and_cleared_by_null(
    gql: Any, session_factory: Any, keyring: Any
) -> None:
    created = (
        await gql(
            CREATE_CLUSTER,
            {
                "input": cluster_input(
                    "tok",
                    connectionKind="TOKEN",
                    apiUrl="https://10.0.0.1:6443",
                    token=SECRETS["token"],
                    caCert=SECRETS["caCert"],
                )
            },
        )
    )["createCluster"]
    await gql(UPDATE_CLUSTER, {"input": {"id": created["id"], "description": "kept"}})
    async with session_factory() as session:
        stored = await session.get(Cluster, uuid.UUID(created["id"]))
    assert SECRETS["token"] not in (stored.token_encrypted or "")
    assert keyring.decrypt(stored.token_encrypted) == SECRETS["token"]
    assert keyring.decrypt(stored.ca_cert_encrypted) == SECRETS["caCert"]

    cleared = (await gql(UPDATE_CLUSTER, {"input": {"id": created["id"], "caCert": None}}))[
        "updateCluster"
    ]
    assert cleared["hasCredentials"] is True
    async with session_factory() as session:
        stored = await session.get(Cluster, uuid.UUID(created["id"]))
    assert stored.ca_cert_encrypted is None and stored.token_encrypted is not None


async def test_changing_a_kubeconfig_context_needs_the_kubeconfig_again(
    gql: Any, execute: Any
) -> None:
    created = (
        await gql(
            CREATE_CLUSTER,
            {
                "input": cluster_input(
                    "kc",
                    connectionKind="KUBECONFIG",
                    kubeconfig=SECRETS["kubeconfig"],
                    context="admin",
                )
            },
        )
    )["createCluster"]
    refused = await execute(UPDATE_CLUSTER, {"input": {"id": created["id"], "context": "other"}})
    assert error_codes(refused) == [("BAD_USER_INPUT", "kubeconfig")]
    assert "send the kubeconfig again" in refused.errors[0].message
    unknown = await execute(
        UPDATE_CLUSTER,
        {"input": {"id": created["id"], "context": "other", "kubeconfig": SECRETS["kubeconfig"]}},
    )
    assert "no entry named 'other' in contexts" in unknown.errors[0].message
    assert "KUBECONFIG-SECRET" not in repr(unknown.errors)
