"""Label and field selectors with the apiserver's matching rules."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from app.localcluster.errors import bad_request

_SET_REQUIREMENT = re.compile(r"^\s*(!?)\s*([A-Za-z0-9./_-]+)\s+(in|notin)\s+\(([^)]*)\)\s*$")
_EQUALITY_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9./_-]+)\s*(==|!=|=)\s*([A-Za-z0-9._-]*)\s*$")
_EXISTS_REQUIREMENT = re.compile(r"^\s*(!?)\s*([A-Za-z0-9./_-]+)\s*$")


@dataclass(frozen=True)
class LabelRequirement:
    key: str
    operator: str  # "=", "!=", "in", "notin", "exists", "!exists"
    values: frozenset[str]

    def matches(self, labels: Mapping[str, str]) -> bool:
        present = self.key in labels
        value = labels.get(self.key)
        if self.operator in ("=", "in"):
            return present and value in self.values
        if self.operator in ("!=", "notin"):
            # Objects lacking the key match, as in apimachinery's Requirement.Matches.
            return not present or value not in self.values
        if self.operator == "exists":
            return present
        return not present


@dataclass(frozen=True)
class LabelSelector:
    requirements: tuple[LabelRequirement, ...]

    def matches(self, labels: Mapping[str, str] | None) -> bool:
        labels = labels or {}
        return all(requirement.matches(labels) for requirement in self.requirements)


def _split_top_level(text: str) -> list[str]:
    parts: list[str] = []
    depth = 0
    current: list[str] = []
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [part for part in parts if part.strip()]


def parse_label_selector(text: str | None) -> LabelSelector:
    if not text or not text.strip():
        return LabelSelector(())
    requirements: list[LabelRequirement] = []
    for part in _split_top_level(text):
        if match := _SET_REQUIREMENT.match(part):
            if match.group(1):
                raise bad_request(f"unable to parse requirement: {part!r}")
            values = frozenset(v.strip() for v in match.group(4).split(",") if v.strip())
            requirements.append(LabelRequirement(match.group(2), match.group(3), values))
        elif match := _EQUALITY_REQUIREMENT.match(part):
            operator = "!=" if match.group(2) == "!=" else "="
            requirements.append(
                LabelRequirement(match.group(1), operator, frozenset({match.group(3)}))
            )
        elif match := _EXISTS_REQUIREMENT.match(part):
            operator = "!exists" if match.group(1) else "exists"
            requirements.append(LabelRequirement(match.group(2), operator, frozenset()))
        else:
            raise bad_request(f"unable to parse requirement: {part.strip()}")
    return LabelSelector(tuple(requirements))


FieldGetter = Callable[[dict[str, Any]], str]


def _path(*keys: str, default: str = "") -> FieldGetter:
    def get(obj: dict[str, Any]) -> str:
        value: Any = obj
        for key in keys:
            if not isinstance(value, dict):
                return default
            value = value.get(key)
        if value is None:
            return default
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    return get


def _pod_ip(obj: dict[str, Any]) -> str:
    ips = (obj.get("status") or {}).get("podIPs") or []
    if ips:
        return str(ips[0].get("ip", ""))
    return str((obj.get("status") or {}).get("podIP") or "")


def _event_source(obj: dict[str, Any]) -> str:
    component = (obj.get("source") or {}).get("component")
    return str(component or obj.get("reportingComponent") or "")


_COMMON_FIELDS: dict[str, FieldGetter] = {
    "metadata.name": _path("metadata", "name"),
    "metadata.namespace": _path("metadata", "namespace"),
}

FIELD_LABELS: dict[str, dict[str, FieldGetter]] = {
    "pods": {
        **_COMMON_FIELDS,
        "spec.nodeName": _path("spec", "nodeName"),
        "spec.host": _path("spec", "nodeName"),
        "spec.restartPolicy": _path("spec", "restartPolicy"),
        "spec.schedulerName": _path("spec", "schedulerName"),
        "spec.serviceAccountName": _path("spec", "serviceAccountName"),
        "spec.hostNetwork": _path("spec", "hostNetwork", default="false"),
        "status.phase": _path("status", "phase"),
        "status.podIP": _pod_ip,
        "status.podIPs": _pod_ip,
        "status.nominatedNodeName": _path("status", "nominatedNodeName"),
    },
    "events": {
        **_COMMON_FIELDS,
        "involvedObject.kind": _path("involvedObject", "kind"),
        "involvedObject.namespace": _path("involvedObject", "namespace"),
        "involvedObject.name": _path("involvedObject", "name"),
        "involvedObject.uid": _path("involvedObject", "uid"),
        "involvedObject.apiVersion": _path("involvedObject", "apiVersion"),
        "involvedObject.resourceVersion": _path("involvedObject", "resourceVersion"),
        "involvedObject.fieldPath": _path("involvedObject", "fieldPath"),
        "reason": _path("reason"),
        "reportingComponent": _path("reportingComponent"),
        "source": _event_source,
        "type": _path("type"),
    },
    "namespaces": {
        "metadata.name": _path("metadata", "name"),
        "status.phase": _path("status", "phase"),
    },
    "services": dict(_COMMON_FIELDS),
    "nodes": {
        "metadata.name": _path("metadata", "name"),
        "spec.unschedulable": _path("spec", "unschedulable", default="false"),
    },
}


@dataclass(frozen=True)
class FieldRequirement:
    getter: FieldGetter
    value: str
    equal: bool

    def matches(self, obj: dict[str, Any]) -> bool:
        return (self.getter(obj) == self.value) == self.equal


@dataclass(frozen=True)
class FieldSelector:
    requirements: tuple[FieldRequirement, ...]

    def matches(self, obj: dict[str, Any]) -> bool:
        return all(requirement.matches(obj) for requirement in self.requirements)


def parse_field_selector(text: str | None, resource: str) -> FieldSelector:
    if not text or not text.strip():
        return FieldSelector(())
    supported = FIELD_LABELS[resource]
    requirements: list[FieldRequirement] = []
    for part in text.split(","):
        if not part.strip():
            continue
        for operator in ("!=", "==", "="):
            if operator in part:
                field, _, value = part.partition(operator)
                break
        else:
            raise bad_request(f"invalid selector: '{text}'; can't understand '{part}'")
        field = field.strip()
        if field not in supported:
            raise bad_request(f"field label not supported: {field}")
        requirements.append(FieldRequirement(supported[field], value.strip(), operator != "!="))
    return FieldSelector(tuple(requirements))
