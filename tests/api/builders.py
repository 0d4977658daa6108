"""Small GraphQL documents and inputs shared by the API tests."""

from __future__ import annotations

from typing import Any

from strawberry.types import ExecutionResult

CLUSTER_FIELDS = """
  id name description labels connectionKind apiUrl context insecureSkipTlsVerify
  defaultNamespace hasCredentials createdAt updatedAt
"""

CHECK_FIELDS = """
  id name namespace description labels podSpec extraLabels extraAnnotations
  runInterval runIntervalSeconds timeout timeoutSeconds enabled version createdAt updatedAt
  clusters { id name }
"""

CREATE_CLUSTER = f"""
mutation($input: CreateClusterInput!) {{ createCluster(input: $input) {{ {CLUSTER_FIELDS} }} }}
"""
UPDATE_CLUSTER = f"""
mutation($input: UpdateClusterInput!) {{ updateCluster(input: $input) {{ {CLUSTER_FIELDS} }} }}
"""
DELETE_CLUSTER = "mutation($id: ID!) { deleteCluster(id: $id) }"
CLUSTERS = f"query {{ clusters {{ {CLUSTER_FIELDS} }} }}"

CREATE_CHECK = f"""
mutation($input: CreateCheckInput!) {{ createCheck(input: $input) {{ {CHECK_FIELDS} }} }}
"""
UPDATE_CHECK = f"""
mutation($input: UpdateCheckInput!) {{ updateCheck(input: $input) {{ {CHECK_FIELDS} }} }}
"""
DELETE_CHECK = "mutation($id: ID!) { deleteCheck(id: $id) }"
PAUSE_CHECK = "mutation($id: ID!) { pauseCheck(id: $id) { id enabled version } }"
RESUME_CHECK = "mutation($id: ID!) { resumeCheck(id: $id) { id enabled version } }"
CHECKS_PAGE = """
query($filter: CheckFilterInput, $first: Int, $after: String) {
  checks(filter: $filter, first: $first, after: $after) {
    totalCount
    edges { cursor node { id name namespace } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""

POD_SPEC: dict[str, Any] = {
    "containers": [{"name": "check", "image": "ghcr.io/patrol/ping:1", "args": ["--host", "x"]}],
    "restartPolicy": "Never",
}


def cluster_input(name: str = "prod-eu", **overrides: Any) -> dict[str, Any]:
    return {"name": name, "connectionKind": "LOCAL", **overrides}


def check_input(
    name: str = "ping", cluster_ids: list[str] | None = None, **overrides: Any
) -> dict[str, Any]:
    return {
        "name": name,
        "namespace": "patrol",
        "podSpec": POD_SPEC,
        "runInterval": "1m",
        "timeout": "30s",
        "clusterIds": cluster_ids or [],
        **overrides,
    }


def error_codes(result: ExecutionResult) -> list[tuple[str | None, str | None]]:
    """(code, field) of each error, in order."""
    assert result.errors, "expected the operation to fail"
    return [
        ((e.extensions or {}).get("code"), (e.extensions or {}).get("field")) for e in result.errors
    ]
