"""The `Table` rendering kubectl asks for (`as=Table;v=v1;g=meta.k8s.io`), for pods."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from app.localcluster.store import Object

_POD_COLUMNS = [
    ("Name", "string", "name", 0),
    ("Ready", "string", "", 0),
    ("Status", "string", "", 0),
    ("Restarts", "string", "", 0),
    ("Age", "string", "", 0),
    ("IP", "string", "", 1),
    ("Node", "string", "", 1),
    ("Nominated Node", "string", "", 1),
    ("Readiness Gates", "string", "", 1),
]


def wants_table(accept: str) -> bool:
    return "as=Table" in accept


def _age(timestamp: str | None) -> str:
    if not timestamp:
        return "<unknown>"
    created = datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    seconds = int((datetime.now(UTC) - created).total_seconds())
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 7200:
        return f"{seconds // 60}m"
    return f"{seconds // 3600}h"


def _pod_reason(pod: Object) -> str:
    status = pod.get("status") or {}
    reason: str = status.get("reason") or status.get("phase") or "Unknown"
    for container in status.get("containerStatuses") or []:
        state = container.get("state") or {}
        if state.get("waiting", {}).get("reason"):
            reason = state["waiting"]["reason"]
        elif state.get("terminated", {}).get("reason"):
            reason = state["terminated"]["reason"]
    if pod["metadata"].get("deletionTimestamp"):
        reason = "Terminating"
    return reason


def _row(pod: Object) -> dict[str, Any]:
    status = pod.get("status") or {}
    containers = status.get("containerStatuses") or []
    ready = sum(1 for c in containers if c.get("ready"))
    restarts = sum(int(c.get("restartCount", 0)) for c in containers)
    metadata = pod["metadata"]
    return {
        "cells": [
            metadata["name"],
            f"{ready}/{len(pod['spec']['containers'])}",
            _pod_reason(pod),
            str(restarts),
            _age(metadata.get("creationTimestamp")),
            status.get("podIP") or "<none>",
            pod["spec"].get("nodeName") or "<none>",
            "<none>",
            "<none>",
        ],
        "object": {
            "kind": "PartialObjectMetadata",
            "apiVersion": "meta.k8s.io/v1",
            "metadata": metadata,
        },
    }


def pod_table(pods: list[Object], resource_version: int) -> dict[str, Any]:
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": str(resource_version)},
        "columnDefinitions": [
            {
                "name": name,
                "type": type_,
                "format": format_,
                "description": name,
                "priority": priority,
            }
            for name, type_, format_, priority in _POD_COLUMNS
        ],
        "rows": [_row(pod) for pod in pods],
    }
