"""The `Table` rendering kubectl asks for (`as=Table;v=v1;g=meta.k8s.io`): the columns of the
apiserver's printers for pods, events, namespaces and nodes, for lists, single objects and watch
events alike (k8s `pkg/printers/internalversion/printers.go`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from app.localcluster.errors import bad_request
from app.localcluster.resources import EVENTS, NAMESPACES, NODES, PODS, SERVICES, Resource
from app.localcluster.store import Object

Column = tuple[str, str, int]  # name, format, priority


@dataclass(frozen=True)
class Printer:
    columns: Sequence[Column]
    cells: Callable[[Object], list[Any]]


def wants_table(accept: str) -> bool:
    return "as=Table" in accept


def include_object_policy(query: dict[str, str]) -> str:
    policy = query.get("includeObject") or "Metadata"
    if policy not in ("None", "Metadata", "Object"):
        raise bad_request(f"invalid includeObject: {policy!r}")
    return policy


def table(
    resource: Resource,
    objects: list[Object],
    resource_version: str,
    *,
    include_object: str = "Metadata",
    headers: bool = True,
) -> dict[str, Any]:
    printer = _PRINTERS[resource.name]
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": resource_version},
        # The apiserver sends column definitions with a watch's first event only.
        "columnDefinitions": [
            {
                "name": name,
                "type": "integer" if name in ("Count",) else "string",
                "format": format_,
                "description": _DESCRIPTIONS.get(name, name),
                "priority": priority,
            }
            for name, format_, priority in printer.columns
        ]
        if headers
        else None,
        "rows": [_row(resource, printer, obj, include_object) for obj in objects],
    }


def _row(resource: Resource, printer: Printer, obj: Object, include_object: str) -> dict[str, Any]:
    row: dict[str, Any] = {"cells": printer.cells(obj)}
    if include_object == "Metadata":
        row["object"] = {
            "kind": "PartialObjectMetadata",
            "apiVersion": "meta.k8s.io/v1",
            "metadata": obj["metadata"],
        }
    elif include_object == "Object":
        row["object"] = {"kind": resource.kind, "apiVersion": "v1", **obj}
    return row


def human_duration(seconds_elapsed: float) -> str:
    """k8s.io/apimachinery/pkg/util/duration.HumanDuration."""
    seconds = int(seconds_elapsed)
    if seconds < -1:
        return "<invalid>"
    if seconds < 0:
        return "0s"
    if seconds < 120:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 10:
        rest = seconds % 60
        return f"{minutes}m" if rest == 0 else f"{minutes}m{rest}s"
    if minutes < 180:
        return f"{minutes}m"
    hours = seconds // 3600
    if hours < 8:
        rest = minutes % 60
        return f"{hours}h" if rest == 0 else f"{hours}h{rest}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        rest = hours % 24
        return f"{hours // 24}d" if rest == 0 else f"{hours // 24}d{rest}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        rest = (hours // 24) % 365
        years = hours // 24 // 365
        return f"{years}y" if rest == 0 else f"{years}y{rest}d"
    return f"{hours // 24 // 365}y"


def _since(timestamp: str | None) -> str:
    if not timestamp:
        return "<unknown>"
    moment = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    return human_duration((datetime.now(UTC) - moment.astimezone(UTC)).total_seconds())


def _age(obj: Object) -> str:
    return _since(obj["metadata"].get("creationTimestamp"))


def _pod_reason(pod: Object) -> str:
    status = pod.get("status") or {}
    reason: str = status.get("reason") or status.get("phase") or "Unknown"
    initializing = False
    init_statuses = status.get("initContainerStatuses") or []
    for index, container in enumerate(init_statuses):
        state = container.get("state") or {}
        terminated = state.get("terminated")
        if terminated and terminated.get("exitCode") == 0:
            continue
        initializing = True
        if terminated:
            reason = "Init:" + (
                terminated.get("reason") or f"ExitCode:{terminated.get('exitCode')}"
            )
        elif state.get("waiting", {}).get("reason") not in (None, "PodInitializing"):
            reason = "Init:" + state["waiting"]["reason"]
        else:
            reason = f"Init:{index}/{len(pod['spec'].get('initContainers') or [])}"
        break
    if not initializing:
        for container in reversed(status.get("containerStatuses") or []):
            state = container.get("state") or {}
            if state.get("waiting", {}).get("reason"):
                reason = state["waiting"]["reason"]
            elif state.get("terminated", {}).get("reason"):
                reason = state["terminated"]["reason"]
            elif state.get("terminated"):
                terminated = state["terminated"]
                reason = (
                    f"Signal:{terminated['signal']}"
                    if terminated.get("signal")
                    else f"ExitCode:{terminated.get('exitCode')}"
                )
    if pod["metadata"].get("deletionTimestamp"):
        reason = "Terminating"
    return reason


def _pod_cells(pod: Object) -> list[Any]:
    status = pod.get("status") or {}
    containers = status.get("containerStatuses") or []
    ready = sum(1 for container in containers if container.get("ready"))
    restarts = sum(int(container.get("restartCount", 0)) for container in containers)
    return [
        pod["metadata"]["name"],
        f"{ready}/{len(pod['spec']['containers'])}",
        _pod_reason(pod),
        str(restarts),
        _age(pod),
        status.get("podIP") or "<none>",
        pod["spec"].get("nodeName") or "<none>",
        "<none>",
        "<none>",
    ]


def _event_cells(event: Object) -> list[Any]:
    involved = event.get("involvedObject") or {}
    first = event.get("firstTimestamp") or event.get("eventTime")
    last = event.get("lastTimestamp") or event.get("eventTime")
    source = event.get("source") or {}
    source_text = source.get("component") or event.get("reportingComponent") or ""
    if source.get("host"):
        source_text = f"{source_text}, {source['host']}"
    return [
        _since(last),
        event.get("type") or "",
        event.get("reason") or "",
        f"{str(involved.get('kind', '')).lower()}/{involved.get('name', '')}",
        involved.get("fieldPath") or "",
        source_text,
        (event.get("message") or "").strip(),
        _since(first),
        int(event.get("count") or 1),
        event["metadata"]["name"],
    ]


def _namespace_cells(namespace: Object) -> list[Any]:
    return [
        namespace["metadata"]["name"],
        (namespace.get("status") or {}).get("phase") or "Active",
        _age(namespace),
    ]


def _node_cells(node: Object) -> list[Any]:
    status = node.get("status") or {}
    ready = next((c for c in status.get("conditions") or [] if c.get("type") == "Ready"), None)
    state = "Ready" if ready and ready.get("status") == "True" else "NotReady"
    if (node.get("spec") or {}).get("unschedulable"):
        state += ",SchedulingDisabled"
    addresses = {a.get("type"): a.get("address") for a in status.get("addresses") or []}
    roles = sorted(
        label.removeprefix("node-role.kubernetes.io/")
        for label in node["metadata"].get("labels") or {}
        if label.startswith("node-role.kubernetes.io/")
    )
    info = status.get("nodeInfo") or {}
    return [
        node["metadata"]["name"],
        state,
        ",".join(roles) or "<none>",
        _age(node),
        info.get("kubeletVersion") or "",
        addresses.get("InternalIP") or "<none>",
        addresses.get("ExternalIP") or "<none>",
        info.get("osImage") or "<unknown>",
        info.get("kernelVersion") or "<unknown>",
        info.get("containerRuntimeVersion") or "<unknown>",
    ]


def _service_cells(service: Object) -> list[Any]:
    spec = service.get("spec") or {}
    ports = ",".join(
        f"{port.get('port')}/{port.get('protocol', 'TCP')}" for port in spec.get("ports") or []
    )
    selector = ",".join(f"{k}={v}" for k, v in sorted((spec.get("selector") or {}).items()))
    return [
        service["metadata"]["name"],
        spec.get("type") or "ClusterIP",
        spec.get("clusterIP") or "<none>",
        "<none>",
        ports or "<none>",
        _age(service),
        selector or "<none>",
    ]


_DESCRIPTIONS = {
    "Name": "Name must be unique within a namespace.",
    "Age": "CreationTimestamp is a timestamp representing the server time when this object was "
    "created.",
}

_PRINTERS: dict[str, Printer] = {
    PODS.name: Printer(
        [
            ("Name", "name", 0),
            ("Ready", "", 0),
            ("Status", "", 0),
            ("Restarts", "", 0),
            ("Age", "", 0),
            ("IP", "", 1),
            ("Node", "", 1),
            ("Nominated Node", "", 1),
            ("Readiness Gates", "", 1),
        ],
        _pod_cells,
    ),
    EVENTS.name: Printer(
        [
            ("Last Seen", "", 0),
            ("Type", "", 0),
            ("Reason", "", 0),
            ("Object", "", 0),
            ("Subobject", "", 1),
            ("Source", "", 1),
            ("Message", "", 0),
            ("First Seen", "", 1),
            ("Count", "", 1),
            ("Name", "name", 1),
        ],
        _event_cells,
    ),
    NAMESPACES.name: Printer(
        [("Name", "name", 0), ("Status", "", 0), ("Age", "", 0)], _namespace_cells
    ),
    SERVICES.name: Printer(
        [
            ("Name", "name", 0),
            ("Type", "", 0),
            ("Cluster-IP", "", 0),
            ("External-IP", "", 0),
            ("Port(s)", "", 0),
            ("Age", "", 0),
            ("Selector", "", 1),
        ],
        _service_cells,
    ),
    NODES.name: Printer(
        [
            ("Name", "name", 0),
            ("Status", "", 0),
            ("Roles", "", 0),
            ("Age", "", 0),
            ("Version", "", 0),
            ("Internal-IP", "", 1),
            ("External-IP", "", 1),
            ("OS-Image", "", 1),
            ("Kernel-Version", "", 1),
            ("Container-Runtime", "", 1),
        ],
        _node_cells,
    ),
}
