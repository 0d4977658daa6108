"""Inputs too large, too deep or absurd are the client's mistake: BAD_USER_INPUT, never a 500."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.builders import (
    CREATE_CHECK,
    CREATE_CLUSTER,
    UPDATE_CHECK,
    check_input,
    cluster_input,
    error_codes,
)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"timeout": "99999999999999999999h"},
            "timeout",
            "invalid duration '99999999999999999999h': longer than Go's maximum of about 292 years",
        ),
        (
            {"runInterval": "8785h"},
            "runInterval",
            "runInterval: at most 366 days (8784h0m0s), got 8785h0m0s",
        ),
        (
            {"runInterval": None, "timeout": "400000h"},
            "timeout",
            "timeout: at most 366 days (8784h0m0s), got 400000h0m0s",
        ),
    ],
)
async def test_absurd_durations_are_bad_input(
    execute: Any, overrides: dict[str, Any], field: str, message: str
) -> None:
    result = await execute(CREATE_CHECK, {"input": check_input(**overrides)})
    assert error_codes(result) == [("BAD_USER_INPUT", field)]
    assert result.errors[0].message == message


async def test_a_run_interval_of_366_days_is_accepted(gql: Any, execute: Any) -> None:
    created = await gql(CREATE_CHECK, {"input": check_input(runInterval="8784h")})
    result = await execute(
        UPDATE_CHECK,
        {"input": {"id": created["createCheck"]["id"], "timeout": "1" + "0" * 30 + "s"}},
    )
    assert created["createCheck"]["runInterval"] == "8784h0m0s"
    assert error_codes(result) == [("BAD_USER_INPUT", "timeout")]


def many(count: int) -> dict[str, str]:
    return {f"key-{n}": "value" for n in range(count)}


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"labels": many(65)}, "labels", "labels: 65 labels; at most 64"),
        ({"extraLabels": many(65)}, "extraLabels", "extraLabels: 65 labels; at most 64"),
        (
            {"extraAnnotations": many(65)},
            "extraAnnotations",
            "extraAnnotations: 65 annotations; at most 64",
        ),
        (
            {"extraAnnotations": {"a": "x" * 70_000}},
            "extraAnnotations",
            "extraAnnotations: 70001 bytes of keys and values; at most 65536 (64 KiB)",
        ),
    ],
)
async def test_label_and_annotation_sets_are_capped(
    execute: Any, overrides: dict[str, Any], field: str, message: str
) -> None:
    result = await execute(CREATE_CHECK, {"input": check_input(**overrides)})
    assert error_codes(result) == [("BAD_USER_INPUT", field)]
    assert result.errors[0].message == message


async def test_labels_at_the_cap_are_accepted(gql: Any) -> None:
    created = await gql(
        CREATE_CHECK, {"input": check_input(labels=many(64), extraAnnotations=many(64))}
    )
    assert len(created["createCheck"]["labels"]) == 64


async def test_cluster_labels_are_capped(execute: Any) -> None:
    result = await execute(CREATE_CLUSTER, {"input": cluster_input(labels=many(65))})
    assert error_codes(result) == [("BAD_USER_INPUT", "labels")]


@pytest.mark.parametrize(
    "labels", [many(65), {"k" * 10_000: "v"}, {"team": "v" * 10_000}], ids=["count", "key", "value"]
)
async def test_label_selectors_are_capped_in_count_and_size(
    execute: Any, labels: dict[str, str]
) -> None:
    result = await execute(
        "query($labels: JSON) { checks(filter: {labels: $labels}) { totalCount } }",
        {"labels": labels},
    )
    assert error_codes(result)[0][0] == "BAD_USER_INPUT"
