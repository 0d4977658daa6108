from __future__ import annotations

import logging
from typing import Any

import pytest

from app.services import clusters, lookups
from tests.api.builders import CREATE_CLUSTER, cluster_input, error_codes
from tests.fixtures.logs import LogFile


async def test_unexpected_failures_are_masked_and_logged(
    execute: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def explode(*_args: Any) -> None:
        raise RuntimeError("password=hunter2 at /srv/secret/path")

    monkeypatch.setattr(clusters, "create_cluster", explode)
    with caplog.at_level(logging.ERROR, logger="strawberry.execution"):
        result = await execute(CREATE_CLUSTER, {"input": cluster_input()})

    assert error_codes(result) == [("INTERNAL_SERVER_ERROR", None)]
    assert result.errors[0].message == "Internal server error"
    assert "hunter2" not in repr(result.errors[0].formatted)
    assert "hunter2" in caplog.text


async def test_domain_errors_are_not_logged_as_server_errors(
    execute: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="strawberry.execution"):
        result = await execute(CREATE_CLUSTER, {"input": cluster_input("Bad Name")})
    assert error_codes(result) == [("BAD_USER_INPUT", "name")]
    assert caplog.text == ""


async def test_graphql_validation_errors_keep_their_message(execute: Any) -> None:
    result = await execute("query { clusters { kubeconfig } }")
    assert error_codes(result) == [("GRAPHQL_VALIDATION_FAILED", None)]
    assert "kubeconfig" in result.errors[0].message


async def test_ambiguous_lookups_are_bad_input(execute: Any) -> None:
    cluster = await execute('query { cluster(id: "x", name: "y") { id } }')
    check = await execute('query { check(namespace: "patrol") { id } }')
    assert error_codes(cluster) == [("BAD_USER_INPUT", "id")]
    assert error_codes(check) == [("BAD_USER_INPUT", "id")]


async def test_an_operation_failing_in_many_fields_logs_a_few_and_a_count(
    execute: Any,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    json_logs: LogFile,
) -> None:
    async def explode(*_args: Any) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(lookups, "cluster_by_name", explode)
    marker = "x" * 200
    fields = " ".join(f'a{n}: cluster(name: "c") {{ id }}' for n in range(30))
    document = f"{{ {fields} }} # {marker}"
    with caplog.at_level(logging.ERROR):
        result = await execute(document)

    assert len(result.errors) == 30
    faults = [r for r in caplog.records if r.name == "strawberry.execution"]
    assert len(faults) == 5
    assert marker not in caplog.text
    (summary,) = json_logs.records("more unexpected errors in the same operation")
    assert summary["count"] == 25 and summary["level"] == "error"
