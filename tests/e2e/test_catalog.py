"""The catalog as a console uses it: over HTTP with API tokens, against the local cluster and a
real worker. Checks made from templates run their first run to the end."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from app.domain.access import Role
from app.domain.catalog import CATALOG
from app.services.local_cluster import KUBERHEALTHY_IMAGE_EQUIVALENTS
from tests.checkers.certs import make_self_signed
from tests.checkers.servers import TlsServer, tls_server
from tests.fixtures.access import bearer, issue_api_token
from tests.fixtures.database import DatabaseTarget
from tests.fixtures.stack import PatrolStack, build_stack, eventually

CATALOG_QUERY = "{ checkCatalog { id runsOnLocalCluster settings { name kind default } } }"
CREATE = """
mutation($input: CreateCheckFromCatalogInput!) {
  createCheckFromCatalog(input: $input) { id podSpec runInterval timeout }
}
"""
RUNS = """
query($id: ID!) {
  runs(filter: { checkId: $id }, first: 5) {
    nodes { status errors finalizedAt logs { content } }
  }
}
"""


async def post(stack: PatrolStack, token: str, query: str, **variables: Any) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=stack.api_url, timeout=10, headers=bearer(token)) as c:
        response = await c.post("/graphql", json={"query": query, "variables": variables})
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    return body


async def token(stack: PatrolStack, role: Role) -> str:
    return await issue_api_token(stack.runtime.session_factory, stack.runtime.keyring, role)


def catalog_input(stack: PatrolStack, template: str, name: str, **values: str) -> dict[str, Any]:
    return {
        "template": template,
        "name": name,
        "namespace": "default",
        "clusterIds": [str(stack.cluster.id)],
        "settings": [{"name": key, "value": value} for key, value in values.items()],
        "runInterval": "1h",
        "timeout": "20s",
    }


async def first_finished_run(stack: PatrolStack, viewer: str, check_id: str) -> dict[str, Any]:
    async def finished() -> dict[str, Any] | None:
        body = await post(stack, viewer, RUNS, id=check_id)
        runs = body["data"]["runs"]["nodes"]
        # Finalized: decided, and its pod's log kept.
        done = [run for run in runs if run["finalizedAt"] is not None]
        return done[0] if done else None

    return await eventually(finished, timeout=30)


async def test_a_viewer_lists_the_catalog_but_may_not_create_from_it(
    api_stack: PatrolStack,
) -> None:
    viewer = await token(api_stack, Role.VIEWER)
    listed = await post(api_stack, viewer, CATALOG_QUERY)
    assert [t["id"] for t in listed["data"]["checkCatalog"]] == [t.id for t in CATALOG]
    refused = await post(
        api_stack,
        viewer,
        CREATE,
        input=catalog_input(api_stack, "patrol-http", "refused", CHECK_URL="http://a/"),
    )
    assert refused["data"] is None
    assert [e["extensions"]["code"] for e in refused["errors"]] == ["FORBIDDEN"]


async def test_an_editors_http_check_from_the_catalog_succeeds_on_the_local_cluster(
    stack: PatrolStack, http_target: str
) -> None:
    editor, viewer = await token(stack, Role.EDITOR), await token(stack, Role.VIEWER)
    created = await post(
        stack,
        editor,
        CREATE,
        input=catalog_input(stack, "patrol-http", "catalog-http", CHECK_URL=http_target, COUNT="2"),
    )
    assert "errors" not in created, created
    check = created["data"]["createCheckFromCatalog"]
    assert (check["runInterval"], check["timeout"]) == ("1h0m0s", "20s")

    run = await first_finished_run(stack, viewer, check["id"])
    assert run["status"] == "SUCCEEDED", run
    log = "".join(part["content"] for part in run["logs"])
    assert "check passed" in log


async def test_an_editors_tcp_check_from_the_catalog_succeeds_and_one_to_a_closed_port_fails(
    stack: PatrolStack, http_target: str, dead_url: str
) -> None:
    editor, viewer = await token(stack, Role.EDITOR), await token(stack, Role.VIEWER)
    outcomes = {}
    for name, url in (("catalog-tcp-open", http_target), ("catalog-tcp-closed", dead_url)):
        target = urlsplit(url).netloc
        created = await post(
            stack,
            editor,
            CREATE,
            input=catalog_input(stack, "patrol-tcp", name, CONNECTION_TARGET=target),
        )
        assert "errors" not in created, created
        check_id = created["data"]["createCheckFromCatalog"]["id"]
        outcomes[name] = (await first_finished_run(stack, viewer, check_id))["status"]
    assert outcomes == {"catalog-tcp-open": "SUCCEEDED", "catalog-tcp-closed": "FAILED"}


async def test_bad_settings_come_back_as_errors_naming_each_field(api_stack: PatrolStack) -> None:
    editor = await token(api_stack, Role.EDITOR)
    cases = {
        "settings.CHECK_URL": {"CHECK_URL": "not a url"},
        "settings.PORT": {"DOMAIN_NAME": "example.com", "PORT": "0"},
        "settings.SPEED": {"CHECK_URL": "http://a/", "SPEED": "fast"},
    }
    fields = {}
    for expected, values in cases.items():
        template = "patrol-tls" if "DOMAIN_NAME" in values else "patrol-http"
        body = await post(
            api_stack, editor, CREATE, input=catalog_input(api_stack, template, "bad", **values)
        )
        (error,) = body["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert error["message"].startswith(f"{expected}: ")
        fields[expected] = error["extensions"]["field"]
    assert fields == {field: field for field in cases}
    listed = await post(api_stack, editor, "{ checks { totalCount } }")
    assert listed["data"]["checks"]["totalCount"] == 0


@pytest.fixture
async def kuberhealthy_stack(
    tmp_path: Path,
    database_target: DatabaseTarget,
    engine: AsyncEngine,
    redis: Redis,
    redis_url: str,
) -> AsyncIterator[PatrolStack]:
    """Patrol with a worker, on a local cluster that runs Kuberhealthy's images as `patrol serve`
    does: as Patrol's equivalent checkers."""
    async with AsyncExitStack() as exit_stack:
        stack = await build_stack(
            exit_stack,
            tmp_path,
            database_target,
            engine,
            redis_url,
            image_commands=KUBERHEALTHY_IMAGE_EQUIVALENTS,
        )
        await stack.start_worker()
        yield stack


@pytest.fixture
def tls_target(tmp_path: Path) -> Iterator[TlsServer]:
    pair = make_self_signed(tmp_path, "target", days=365)
    with tls_server(str(pair.cert), str(pair.key)) as server:
        yield server


async def test_every_template_said_to_run_on_the_local_cluster_succeeds_there(
    kuberhealthy_stack: PatrolStack, http_target: str, tls_target: TlsServer
) -> None:
    stack = kuberhealthy_stack
    address = urlsplit(http_target).netloc
    tls = {"DOMAIN_NAME": "localhost", "PORT": str(tls_target.port), "INSECURE": "true"}
    values: dict[str, dict[str, str]] = {
        "patrol-http": {"CHECK_URL": http_target},
        "patrol-tcp": {"CONNECTION_TARGET": address},
        "patrol-dns": {"HOSTNAME": "localhost"},
        "patrol-tls": tls,
        "kh-http-check": {"CHECK_URL": http_target},
        "kh-network-connection-check": {"CONNECTION_TARGET": f"tcp://{address}"},
        "kh-ssl-expiry-check": tls,
        "kh-dns-resolution-check": {"HOSTNAME": "localhost"},
    }
    assert set(values) == {t.id for t in CATALOG if t.runs_on_local_cluster}
    editor, viewer = await token(stack, Role.EDITOR), await token(stack, Role.VIEWER)
    check_ids = {}
    for template, given in values.items():
        created = await post(
            stack, editor, CREATE, input=catalog_input(stack, template, template, **given)
        )
        assert "errors" not in created, created
        check_ids[template] = created["data"]["createCheckFromCatalog"]["id"]
    outcomes = {
        template: (await first_finished_run(stack, viewer, check_id))["status"]
        for template, check_id in check_ids.items()
    }
    assert outcomes == {template: "SUCCEEDED" for template in values}
