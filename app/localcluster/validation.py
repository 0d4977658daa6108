"""Create-time defaulting and validation of pods and namespaces (a subset of the apiserver's)."""

from __future__ import annotations

import re
from typing import Any

from app.localcluster.errors import invalid

Object = dict[str, Any]
Cause = tuple[str, str, str]

_DNS1123_SUBDOMAIN = re.compile(
    r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
)
_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_SUBDOMAIN_HELP = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
    "and must start and end with an alphanumeric character (e.g. 'example.com', regex used for "
    "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
_LABEL_HELP = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must "
    "start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for "
    "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
_RESTART_POLICIES = ("Always", "OnFailure", "Never")


def _required(field: str) -> Cause:
    return ("FieldValueRequired", field, "Required value")


def _invalid_value(field: str, value: Any, detail: str) -> Cause:
    return ("FieldValueInvalid", field, f'Invalid value: "{value}": {detail}')


def validate_name(kind: str, name: str, label_only: bool = False) -> None:
    pattern, detail, limit = (
        (_DNS1123_LABEL, _LABEL_HELP, 63)
        if label_only
        else (_DNS1123_SUBDOMAIN, _SUBDOMAIN_HELP, 253)
    )
    if len(name) > limit or not pattern.match(name):
        raise invalid(kind, name, [_invalid_value("metadata.name", name, detail)])


def validate_pod(pod: Object) -> None:
    name = pod["metadata"]["name"]
    validate_name("Pod", name)
    spec = pod.get("spec")
    causes: list[Cause] = []
    containers = spec.get("containers") if isinstance(spec, dict) else None
    if not containers or not isinstance(containers, list):
        causes.append(_required("spec.containers"))
    else:
        seen: set[str] = set()
        for index, container in enumerate(containers):
            prefix = f"spec.containers[{index}]"
            if not isinstance(container, dict):
                causes.append(_invalid_value(prefix, container, "must be an object"))
                continue
            container_name = container.get("name")
            if not container_name:
                causes.append(_required(f"{prefix}.name"))
            elif container_name in seen:
                causes.append(
                    (
                        "FieldValueDuplicate",
                        f"{prefix}.name",
                        f'Duplicate value: "{container_name}"',
                    )
                )
            else:
                seen.add(container_name)
            if not container.get("image"):
                causes.append(_required(f"{prefix}.image"))
    restart_policy = (spec or {}).get("restartPolicy") if isinstance(spec, dict) else None
    if restart_policy is not None and restart_policy not in _RESTART_POLICIES:
        causes.append(
            (
                "FieldValueNotSupported",
                "spec.restartPolicy",
                f'Unsupported value: "{restart_policy}": supported values: "Always", "OnFailure", "Never"',
            )
        )
    if causes:
        raise invalid("Pod", name, causes)


def _image_pull_policy(image: str) -> str:
    last = image.rsplit("/", 1)[-1]
    if "@" in last:
        return "IfNotPresent"
    if ":" not in last or last.endswith(":latest"):
        return "Always"
    return "IfNotPresent"


def _qos_class(containers: list[Object]) -> str:
    requests_seen = False
    guaranteed = True
    for container in containers:
        resources = container.get("resources") or {}
        requests = resources.get("requests") or {}
        limits = resources.get("limits") or {}
        if requests or limits:
            requests_seen = True
        for resource in ("cpu", "memory"):
            limit = limits.get(resource)
            if limit is None or requests.get(resource, limit) != limit:
                guaranteed = False
    if not requests_seen:
        return "BestEffort"
    return "Guaranteed" if guaranteed else "Burstable"


def default_pod(pod: Object) -> None:
    spec = pod["spec"]
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("schedulerName", "default-scheduler")
    spec.setdefault("securityContext", {})
    spec.setdefault("serviceAccountName", "default")
    spec.setdefault("serviceAccount", spec["serviceAccountName"])
    spec.setdefault("enableServiceLinks", True)
    spec.setdefault("priority", 0)
    spec.setdefault("preemptionPolicy", "PreemptLowerPriority")
    spec.setdefault(
        "tolerations",
        [
            {
                "key": f"node.kubernetes.io/{taint}",
                "operator": "Exists",
                "effect": "NoExecute",
                "tolerationSeconds": 300,
            }
            for taint in ("not-ready", "unreachable")
        ],
    )
    for container in spec["containers"]:
        container.setdefault("resources", {})
        container.setdefault("terminationMessagePath", "/dev/termination-log")
        container.setdefault("terminationMessagePolicy", "File")
        container.setdefault("imagePullPolicy", _image_pull_policy(container["image"]))
        for env in container.get("env") or []:
            field_ref = (env.get("valueFrom") or {}).get("fieldRef")
            if isinstance(field_ref, dict):
                field_ref.setdefault("apiVersion", "v1")
    pod["status"] = {"phase": "Pending", "qosClass": _qos_class(spec["containers"])}


def default_namespace(namespace: Object) -> None:
    name = namespace["metadata"]["name"]
    labels = dict(namespace["metadata"].get("labels") or {})
    labels["kubernetes.io/metadata.name"] = name
    namespace["metadata"]["labels"] = labels
    namespace["spec"] = {"finalizers": ["kubernetes"]}
    namespace["status"] = {"phase": "Active"}


_MUTABLE_POD_SPEC_FIELDS = ("activeDeadlineSeconds", "tolerations", "terminationGracePeriodSeconds")


def validate_pod_spec_update(name: str, old_spec: Object, new_spec: Object) -> None:
    """Pods allow only image, activeDeadlineSeconds and tolerations to change after creation."""

    def comparable(spec: Object) -> Object:
        trimmed = {k: v for k, v in spec.items() if k not in _MUTABLE_POD_SPEC_FIELDS}
        trimmed["containers"] = [
            {k: v for k, v in c.items() if k != "image"} for c in spec.get("containers") or []
        ]
        return trimmed

    if comparable(old_spec) != comparable(new_spec):
        raise invalid(
            "Pod",
            name,
            [
                (
                    "FieldValueForbidden",
                    "spec",
                    "Forbidden: pod updates may not change fields other than `spec.containers[*].image`, "
                    "`spec.activeDeadlineSeconds`, `spec.tolerations` (only additions to existing tolerations), "
                    "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)",
                )
            ],
        )
