"""The whole migration story on the local cluster: Kuberhealthy manifests applied, their pods
run and report, and Kuberhealthy's status JSON and metrics say so."""

from __future__ import annotations

import json
import sys

import httpx

from tests.fixtures.access import bearer
from tests.fixtures.stack import PatrolStack, eventually, graphql

APPLY = """
mutation($yaml: String!) {
  applyManifests(yaml: $yaml, source: "migration") { applied documents { action name } }
}
"""


def manifests(target: str, dead: str) -> str:
    def pod(url: str) -> str:
        container = {
            "name": "http",
            "image": "kuberhealthy/http-check:v1.5.0",
            "command": [sys.executable, "-m", "app.checkers.http"],
            "env": [{"name": "CHECK_URL", "value": url}],
        }
        return json.dumps({"containers": [container]})

    return f"""
apiVersion: comcast.github.io/v1
kind: KuberhealthyJob
metadata: {{name: reachable, namespace: default}}
spec:
  timeout: 20s
  podSpec: {pod(target)}
---
apiVersion: kuberhealthy.github.io/v2
kind: HealthCheck
metadata: {{name: unreachable, namespace: default}}
spec:
  runInterval: 1h
  timeout: 20s
  podSpec:
    spec: {pod(dead)}
"""


async def test_applied_kuberhealthy_checks_run_and_show_in_json_and_metrics(
    stack: PatrolStack, http_target: str, dead_url: str
) -> None:
    applied = await graphql(stack, APPLY, yaml=manifests(http_target, dead_url))
    assert applied["data"]["applyManifests"]["applied"] is True

    async with httpx.AsyncClient(
        base_url=stack.api_url, timeout=10, headers=bearer(stack.admin_token)
    ) as client:

        async def decided() -> dict[str, object] | None:
            document: dict[str, object] = (await client.get("/json")).json()
            details = {**document["CheckDetails"], **document["JobDetails"]}  # type: ignore[dict-item]
            return document if all(d["uuid"] for d in details.values()) else None

        document = await eventually(decided, timeout=60)
        metrics = (await client.get("/metrics")).text

    job = document["JobDetails"]["default/reachable"]  # type: ignore[index]
    check = document["CheckDetails"]["default/unreachable"]  # type: ignore[index]
    assert job["OK"] is True and job["Errors"] == [] and job["RunDuration"].endswith("s")
    assert check["OK"] is False and check["Errors"], check
    assert document["OK"] is False and document["Errors"] == check["Errors"]  # type: ignore[index]
    assert (
        'kuberhealthy_job{check="default/reachable",namespace="default",status="1",error="",cluster="local"} 1'
        in metrics
    )
    assert (
        'kuberhealthy_check{check="default/unreachable",namespace="default",status="0"' in metrics
    )
    assert (
        'kuberhealthy_check_success_total{check="default/reachable",cluster="local",namespace="default"} 1.0'
        in metrics
    )
