"""Records core v1 Events the way the kubelet (legacy recorder) and scheduler (events.k8s.io) do."""

from __future__ import annotations

from typing import Any

from app.localcluster import meta
from app.localcluster.registry import Registry
from app.localcluster.resources import EVENTS
from app.localcluster.store import Object

_AggregationKey = tuple[str, str, str, str, str]


class EventRecorder:
    def __init__(self, registry: Registry, node_name: str) -> None:
        self._registry = registry
        self._node_name = node_name
        self._recent: dict[_AggregationKey, tuple[str, str]] = {}

    def kubelet_event(
        self,
        pod: Object,
        type_: str,
        reason: str,
        message: str,
        container: str | None = None,
        *,
        field_path: str | None = None,
    ) -> None:
        if field_path is None and container:
            field_path = f"spec.containers{{{container}}}"
        involved = _involved_object(pod, field_path)
        key = (involved["uid"], involved.get("fieldPath", ""), type_, reason, message)
        if self._bump_repeat(key):
            return
        now = meta.now_rfc3339()
        event: Object = {
            "metadata": {
                "name": meta.event_name(involved["name"]),
                "namespace": involved["namespace"],
            },
            "involvedObject": involved,
            "reason": reason,
            "message": message,
            "source": {"component": "kubelet", "host": self._node_name},
            "firstTimestamp": now,
            "lastTimestamp": now,
            "count": 1,
            "type": type_,
            "eventTime": None,
            "reportingComponent": "kubelet",
            "reportingInstance": self._node_name,
        }
        created = self._registry.record_event(event)
        self._recent[key] = (created["metadata"]["namespace"], created["metadata"]["name"])

    def scheduler_event(
        self, pod: Object, type_: str, reason: str, action: str, message: str
    ) -> None:
        involved = _involved_object(pod, None)
        event: Object = {
            "metadata": {
                "name": meta.event_name(involved["name"]),
                "namespace": involved["namespace"],
            },
            "involvedObject": involved,
            "reason": reason,
            "message": message,
            "source": {},
            "firstTimestamp": None,
            "lastTimestamp": None,
            "type": type_,
            # MicroTime, but on the whole second: the kubelet's events that follow carry
            # whole-second (truncated) times, and a finer time here made `kubectl describe` show
            # Scheduled younger than the Pulling that came after it.
            "eventTime": meta.now_micro_whole_second(),
            "action": action,
            "reportingComponent": "default-scheduler",
            "reportingInstance": "default-scheduler-patrol-local",
        }
        self._registry.record_event(event)

    def forget(self, pod_uid: str) -> None:
        for key in [key for key in self._recent if key[0] == pod_uid]:
            del self._recent[key]

    def _bump_repeat(self, key: _AggregationKey) -> bool:
        """Repeats are PATCHed with count+1, as client-go's events cache does."""
        location = self._recent.get(key)
        if location is None:
            return False
        existing = self._registry.store.get(EVENTS.name, *location)
        if existing is None:
            del self._recent[key]
            return False
        bumped: dict[str, Any] = {
            **existing,
            "count": int(existing.get("count") or 1) + 1,
            "lastTimestamp": meta.now_rfc3339(),
        }
        self._registry.store.update(EVENTS.name, bumped)
        return True


def _involved_object(pod: Object, field_path: str | None) -> dict[str, str]:
    metadata = pod["metadata"]
    involved = {
        "kind": "Pod",
        "namespace": metadata["namespace"],
        "name": metadata["name"],
        "uid": metadata["uid"],
        "apiVersion": "v1",
        "resourceVersion": metadata["resourceVersion"],
    }
    if field_path:
        involved["fieldPath"] = field_path
    return involved
