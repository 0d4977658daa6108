"""The resource types the local cluster serves."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Resource:
    name: str
    kind: str
    namespaced: bool

    @property
    def list_kind(self) -> str:
        return f"{self.kind}List"


NAMESPACES = Resource("namespaces", "Namespace", namespaced=False)
PODS = Resource("pods", "Pod", namespaced=True)
EVENTS = Resource("events", "Event", namespaced=True)
NODES = Resource("nodes", "Node", namespaced=False)
SERVICES = Resource("services", "Service", namespaced=True)
# Served as a real cluster shows them, but fixed: the local cluster runs pods only.
READ_ONLY = frozenset({NODES.name, SERVICES.name})

RESOURCES: dict[str, Resource] = {r.name: r for r in (NAMESPACES, PODS, EVENTS, NODES, SERVICES)}

API_RESOURCE_LIST = {
    "kind": "APIResourceList",
    "apiVersion": "v1",
    "groupVersion": "v1",
    "resources": [
        {
            "name": "namespaces",
            "singularName": "namespace",
            "namespaced": False,
            "kind": "Namespace",
            "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"],
            "shortNames": ["ns"],
        },
        {
            "name": "nodes",
            "singularName": "node",
            "namespaced": False,
            "kind": "Node",
            "verbs": ["get", "list", "watch"],
            "shortNames": ["no"],
        },
        {
            "name": "pods",
            "singularName": "pod",
            "namespaced": True,
            "kind": "Pod",
            "verbs": [
                "create",
                "delete",
                "deletecollection",
                "get",
                "list",
                "patch",
                "update",
                "watch",
            ],
            "shortNames": ["po"],
            "categories": ["all"],
        },
        {
            "name": "pods/log",
            "singularName": "",
            "namespaced": True,
            "kind": "Pod",
            "verbs": ["get"],
        },
        {
            "name": "pods/status",
            "singularName": "",
            "namespaced": True,
            "kind": "Pod",
            "verbs": ["get", "patch", "update"],
        },
        {
            "name": "events",
            "singularName": "event",
            "namespaced": True,
            "kind": "Event",
            "verbs": [
                "create",
                "delete",
                "deletecollection",
                "get",
                "list",
                "patch",
                "update",
                "watch",
            ],
            "shortNames": ["ev"],
        },
        {
            "name": "services",
            "singularName": "service",
            "namespaced": True,
            "kind": "Service",
            "verbs": ["get", "list", "watch"],
            "shortNames": ["svc"],
            "categories": ["all"],
        },
    ],
}
