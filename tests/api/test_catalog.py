"""The catalog over GraphQL: templates with their settings, and checks created from them."""

from __future__ import annotations

from typing import Any

import pytest

from app.domain.access import Role
from app.domain.catalog import CATALOG, CheckTemplate
from app.domain.duration import parse_duration
from tests.api.builders import (
    CHECK_FIELDS,
    CREATE_CLUSTER,
    UPDATE_CHECK,
    cluster_input,
    error_codes,
)
from tests.api.conftest import Execute, ExecuteAs
from tests.fixtures.catalog import required_values

CATALOG_QUERY = """
{ checkCatalog { id title description category image command runsOnLocalCluster runInterval
  timeout serviceAccountName docsUrl
  settings { name label kind help default required choices minimum maximum emptyFromField } } }
"""
CREATE = f"""
mutation($input: CreateCheckFromCatalogInput!) {{
  createCheckFromCatalog(input: $input) {{ {CHECK_FIELDS} }}
}}
"""


def catalog_input(template: str, name: str = "from-catalog", **fields: Any) -> dict[str, Any]:
    return {"template": template, "name": name, "namespace": "patrol", **fields}


def settings(**values: str) -> list[dict[str, str]]:
    return [{"name": name, "value": value} for name, value in values.items()]


@pytest.fixture
async def cluster_id(gql: Any) -> str:
    created = await gql(CREATE_CLUSTER, {"input": cluster_input("alpha")})
    return str(created["createCluster"]["id"])


async def test_a_viewer_lists_every_template_with_its_settings(execute_as: ExecuteAs) -> None:
    viewer = await execute_as(Role.VIEWER)
    result = await viewer(CATALOG_QUERY)
    assert result.errors is None
    assert result.data is not None
    templates = {t["id"]: t for t in result.data["checkCatalog"]}
    assert list(templates) == [template.id for template in CATALOG]
    http = templates["patrol-http"]
    assert (http["category"], http["image"], http["runsOnLocalCluster"]) == (
        "PATROL",
        "patrol:0.1.0",
        True,
    )
    assert http["command"] == ["python", "-m", "app.checkers.http"]
    method = next(s for s in http["settings"] if s["name"] == "REQUEST_TYPE")
    assert method["kind"] == "ENUM"
    assert method["default"] == "GET"
    assert method["choices"] == ["GET", "POST", "PUT", "DELETE", "PATCH"]
    port = next(s for s in templates["kh-ssl-expiry-check"]["settings"] if s["name"] == "PORT")
    assert (port["kind"], port["default"], port["required"]) == ("PORT", "443", False)
    deployment = templates["kh-deployment-check"]
    assert deployment["serviceAccountName"] == "deployment-sa"
    assert not deployment["runsOnLocalCluster"]
    assert "ServiceAccount deployment-sa" in deployment["description"]


async def test_a_viewer_may_not_create_a_check_from_the_catalog(execute_as: ExecuteAs) -> None:
    viewer = await execute_as(Role.VIEWER)
    result = await viewer(
        CREATE, {"input": catalog_input("patrol-http", settings=settings(CHECK_URL="http://a/"))}
    )
    assert error_codes(result) == [("FORBIDDEN", None)]


async def test_creates_an_ordinary_check_with_defaults_filled_in(gql: Any, cluster_id: str) -> None:
    check = (
        await gql(
            CREATE,
            {
                "input": catalog_input(
                    "patrol-http",
                    clusterIds=[cluster_id],
                    settings=settings(CHECK_URL="https://example.com/healthz", COUNT="3"),
                    labels={"team": "sre"},
                )
            },
        )
    )["createCheckFromCatalog"]
    assert (check["runInterval"], check["timeout"]) == ("1m0s", "30s")
    assert check["labels"] == {"team": "sre"}
    assert check["description"] == "HTTP request"
    assert [c["id"] for c in check["clusters"]] == [cluster_id]
    (container,) = check["podSpec"]["containers"]
    assert container["command"] == ["python", "-m", "app.checkers.http"]
    env = {item["name"]: item["value"] for item in container["env"]}
    assert env == {
        "CHECK_URL": "https://example.com/healthz",
        "REQUEST_TYPE": "GET",
        "EXPECTED_STATUS_CODE": "200",
        "REQUEST_BODY": "{}",
        "COUNT": "3",
        "SECONDS": "0s",
        "PASSING_PERCENT": "100",
    }
    edited = await gql(UPDATE_CHECK, {"input": {"id": check["id"], "timeout": "45s"}})
    assert edited["updateCheck"]["timeout"] == "45s"
    exported = (await gql("{ kuberhealthyManifests }"))["kuberhealthyManifests"]
    assert "name: from-catalog" in exported
    assert "https://example.com/healthz" in exported


async def test_run_interval_and_timeout_override_the_templates_and_null_means_on_demand(
    gql: Any,
) -> None:
    given = {"settings": settings(DOMAIN_NAME="example.com")}
    custom = await gql(
        CREATE, {"input": catalog_input("patrol-tls", runInterval="6h", timeout="2m", **given)}
    )
    assert (
        custom["createCheckFromCatalog"]["runInterval"],
        custom["createCheckFromCatalog"]["timeout"],
    ) == ("6h0m0s", "2m0s")
    on_demand = await gql(
        CREATE, {"input": catalog_input("patrol-tls", name="on-demand", runInterval=None, **given)}
    )
    assert on_demand["createCheckFromCatalog"]["runInterval"] is None


async def test_an_empty_namespace_setting_reads_the_checks_namespace(gql: Any) -> None:
    check = (await gql(CREATE, {"input": catalog_input("kh-pod-restarts-check")}))[
        "createCheckFromCatalog"
    ]
    spec = check["podSpec"]
    assert spec["serviceAccountName"] == "pod-restart-sa"
    assert spec["containers"][0]["env"][0] == {
        "name": "POD_NAMESPACE",
        "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}},
    }


@pytest.mark.parametrize(
    ("template", "given", "field", "says"),
    [
        ("patrol-http", {}, "settings.CHECK_URL", "required"),
        ("patrol-http", {"CHECK_URL": "example.com"}, "settings.CHECK_URL", "not an http://"),
        ("patrol-http", {"CHECK_URL": "http://a/", "COLOR": "red"}, "settings.COLOR", "no setting"),
        (
            "patrol-http",
            {"CHECK_URL": "http://a/", "COUNT": "two"},
            "settings.COUNT",
            "whole number",
        ),
        (
            "patrol-http",
            {"CHECK_URL": "http://a/", "REQUEST_TYPE": "FETCH"},
            "settings.REQUEST_TYPE",
            "not one of",
        ),
        (
            "patrol-tls",
            {"DOMAIN_NAME": "a.example", "PORT": "70000"},
            "settings.PORT",
            "maximum of 65535",
        ),
        (
            "patrol-tcp",
            {"CONNECTION_TARGET": "db.internal"},
            "settings.CONNECTION_TARGET",
            "host:port",
        ),
        ("kh-test-check", {"REPORT_DELAY": "soon"}, "settings.REPORT_DELAY", "invalid duration"),
    ],
)
async def test_bad_settings_are_refused_naming_the_field(
    execute: Execute, template: str, given: dict[str, str], field: str, says: str
) -> None:
    result = await execute(CREATE, {"input": catalog_input(template, settings=settings(**given))})
    assert error_codes(result) == [("BAD_USER_INPUT", field)]
    assert result.errors is not None
    assert says in result.errors[0].message


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"template": "no-such-check"}, "template"),
        ({"name": "Not A Name"}, "name"),
        ({"namespace": "under_score"}, "namespace"),
        ({"timeout": "2h"}, "timeout"),
        ({"timeout": ""}, "timeout"),
        ({"runInterval": "soon"}, "runInterval"),
        ({"labels": ["team"]}, "labels"),
        ({"clusterIds": ["not-an-id"]}, "clusterIds"),
    ],
)
async def test_other_mistakes_are_refused_as_create_check_refuses_them(
    execute: Execute, fields: dict[str, Any], field: str
) -> None:
    given = {"settings": settings(CHECK_URL="http://a/"), **fields}
    result = await execute(CREATE, {"input": catalog_input(**{"template": "patrol-http", **given})})
    assert error_codes(result) == [("BAD_USER_INPUT", field)]


async def test_the_name_must_be_free_in_the_namespace(execute: Execute, gql: Any) -> None:
    given = catalog_input("patrol-dns")
    await gql(CREATE, {"input": given})
    assert error_codes(await execute(CREATE, {"input": given})) == [("CONFLICT", "name")]


async def test_creating_from_the_catalog_is_audited(gql: Any) -> None:
    await gql(
        CREATE, {"input": catalog_input("kh-test-check", settings=settings(REPORT_DELAY="1s"))}
    )
    records = await gql("{ auditLog(first: 1) { nodes { operation outcome arguments } } }")
    (record,) = records["auditLog"]["nodes"]
    assert (record["operation"], record["outcome"]) == ("createCheckFromCatalog", "OK")
    assert record["arguments"]["input"]["template"] == "kh-test-check"


@pytest.mark.parametrize("template", CATALOG, ids=[t.id for t in CATALOG])
async def test_every_templates_defaults_make_a_check_with_a_valid_pod_spec(
    gql: Any, template: CheckTemplate
) -> None:
    given = [{"name": item.name, "value": item.value} for item in required_values(template)]
    check = (await gql(CREATE, {"input": catalog_input(template.id, settings=given)}))[
        "createCheckFromCatalog"
    ]
    (container,) = check["podSpec"]["containers"]
    assert container["image"] == template.image
    assert check["runIntervalSeconds"] == parse_duration(template.run_interval).total_seconds()
    assert check["timeoutSeconds"] == parse_duration(template.timeout).total_seconds()
