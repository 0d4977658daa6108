"""The one node the local cluster's kubelet runs on, as a read-only `Node` object."""

from __future__ import annotations

import os
import platform
from typing import Any

from app.localcluster import meta
from app.localcluster.kubelet import Node
from app.localcluster.store import Object

# The version the local cluster presents, the same as the kubectl the project pins (no skew warning).
KUBELET_VERSION = "v1.37.0-patrol-local"
CONTAINER_RUNTIME = "patrol-local://1.0.0"


def kubernetes_service() -> Object:
    """The `kubernetes` Service every cluster has in `default` (`kubectl cluster-info` lists it)."""
    return {
        "kind": "Service",
        "apiVersion": "v1",
        "metadata": {
            "name": "kubernetes",
            "namespace": "default",
            "labels": {"component": "apiserver", "provider": "kubernetes"},
            "uid": meta.new_uid(),
            "creationTimestamp": meta.now_rfc3339(),
        },
        "spec": {
            "type": "ClusterIP",
            "clusterIP": "10.96.0.1",
            "clusterIPs": ["10.96.0.1"],
            "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443}],
            "sessionAffinity": "None",
        },
        "status": {"loadBalancer": {}},
    }


def node_object(node: Node) -> Object:
    now = meta.now_rfc3339()
    capacity = {"cpu": str(os.cpu_count() or 1), "memory": _memory(), "pods": "110"}
    return {
        "kind": "Node",
        "apiVersion": "v1",
        "metadata": {
            "name": node.name,
            "labels": dict(node.labels),
            "annotations": {"node.alpha.kubernetes.io/ttl": "0"},
            "uid": meta.new_uid(),
            "creationTimestamp": now,
        },
        "spec": {},
        "status": {
            "capacity": capacity,
            "allocatable": capacity,
            "conditions": [
                _condition("MemoryPressure", "False", "KubeletHasSufficientMemory", now),
                _condition("DiskPressure", "False", "KubeletHasNoDiskPressure", now),
                _condition("PIDPressure", "False", "KubeletHasSufficientPID", now),
                _condition("Ready", "True", "KubeletReady", now),
            ],
            "addresses": [
                {"type": "InternalIP", "address": node.ip},
                {"type": "Hostname", "address": node.name},
            ],
            "nodeInfo": {
                "machineID": "",
                "systemUUID": "",
                "bootID": "",
                "kernelVersion": platform.release(),
                "osImage": _os_image(),
                "containerRuntimeVersion": CONTAINER_RUNTIME,
                "kubeletVersion": KUBELET_VERSION,
                "kubeProxyVersion": "",
                "operatingSystem": "linux",
                "architecture": node.labels.get("kubernetes.io/arch", "amd64"),
            },
        },
    }


_MESSAGES = {
    "MemoryPressure": "kubelet has sufficient memory available",
    "DiskPressure": "kubelet has no disk pressure",
    "PIDPressure": "kubelet has sufficient PID available",
    "Ready": "kubelet is posting ready status",
}


def _condition(kind: str, status: str, reason: str, now: str) -> dict[str, Any]:
    return {
        "type": kind,
        "status": status,
        "lastHeartbeatTime": now,
        "lastTransitionTime": now,
        "reason": reason,
        "message": _MESSAGES[kind],
    }


def _memory() -> str:
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemTotal:"):
                    return f"{line.split()[1]}Ki"
    except OSError:
        pass
    return "0"


def _os_image() -> str:
    try:
        return platform.freedesktop_os_release().get("PRETTY_NAME", "Linux")
    except OSError:
        return "Linux"
