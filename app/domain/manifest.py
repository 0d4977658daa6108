"""The checker pod for a run, built exactly as the Kuberhealthy contract says (pure, no I/O)."""

from __future__ import annotations

import copy
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
MANAGED_BY = "patrol"
RUN_ID_LABEL = "patrol.dev/run-id"
CHECK_ID_LABEL = "patrol.dev/check-id"
RUN_ID_QUERY_PARAMETER = "kh-run-uuid"
RUN_SECRET_QUERY_PARAMETER = "kh-run-secret"
REPORT_PATH = "/check"
PATROL_POD_SELECTOR = f"{MANAGED_BY_LABEL}={MANAGED_BY}"

_NOT_DNS_LABEL = re.compile(r"[^a-z0-9-]+")


@dataclass(frozen=True, slots=True)
class PodLaunch:
    """Everything the manifest depends on, so that building it stays a pure function."""

    run_id: uuid.UUID
    check_id: uuid.UUID
    check_name: str
    namespace: str
    pod_spec: dict[str, Any]
    deadline: datetime
    reporting_url: str
    extra_labels: dict[str, str] = field(default_factory=dict)
    extra_annotations: dict[str, str] = field(default_factory=dict)


def reporting_url(public_url: str, run_id: uuid.UUID, secret: str) -> str:
    """The URL a checker POSTs to: it names the run and carries the run's secret, which proves
    the report comes from the pod it was given to (with or without a `kh-run-uuid` header)."""
    query = urlencode({RUN_ID_QUERY_PARAMETER: str(run_id), RUN_SECRET_QUERY_PARAMETER: secret})
    return f"{public_url.rstrip('/')}{REPORT_PATH}?{query}"


def pod_name(check_name: str, run_id: uuid.UUID) -> str:
    """Deterministic per run: a retried launch finds its own pod instead of making a second one."""
    stem = _NOT_DNS_LABEL.sub("-", check_name.lower()).strip("-")[:40].rstrip("-") or "check"
    return f"{stem}-{run_id.hex[:12]}"


def build_pod_manifest(launch: PodLaunch) -> dict[str, Any]:
    spec = copy.deepcopy(launch.pod_spec)
    spec["restartPolicy"] = "Never"
    contract_env = _contract_env(launch)
    for key in ("initContainers", "containers"):
        for container in spec.get(key) or []:
            container["env"] = _with_contract_env(container.get("env") or [], contract_env)
    run_id = str(launch.run_id)
    labels = {
        **launch.extra_labels,
        "kuberhealthy-run-id": run_id,
        "kuberhealthy-check-name": launch.check_name,
        "app": "kuberhealthy-check",
        "healthcheck": launch.check_name,
        "kh-run-uuid": run_id,
        MANAGED_BY_LABEL: MANAGED_BY,
        RUN_ID_LABEL: run_id,
        CHECK_ID_LABEL: str(launch.check_id),
    }
    annotations = {
        **launch.extra_annotations,
        "comcast.github.io/check-name": launch.check_name,
    }
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": pod_name(launch.check_name, launch.run_id),
            "namespace": launch.namespace,
            "labels": labels,
            "annotations": annotations,
        },
        "spec": spec,
    }


def _contract_env(launch: PodLaunch) -> list[dict[str, Any]]:
    return [
        {"name": "KH_REPORTING_URL", "value": launch.reporting_url},
        {"name": "KH_RUN_UUID", "value": str(launch.run_id)},
        {"name": "KH_CHECK_RUN_DEADLINE", "value": str(int(launch.deadline.timestamp()))},
        {
            "name": "KH_POD_NAMESPACE",
            "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}},
        },
    ]


def _with_contract_env(
    env: list[dict[str, Any]], contract: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    replaced = {variable["name"] for variable in contract}
    return [variable for variable in env if variable.get("name") not in replaced] + copy.deepcopy(
        contract
    )
