"""Validation of a user's core/v1 PodSpec, written as in Kubernetes YAML (camelCase keys)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from kubernetes.client import V1PodSpec
from pydantic import ValidationError

from app.domain.json_nesting import MAX_JSON_DEPTH, value_nests_deeper_than
from app.errors import InvalidInput

# Serialized as compact JSON. Far above any real checker pod (a few KiB), and it bounds what every
# run's launch, every listing and every audit record carries.
MAX_POD_SPEC_BYTES = 256 * 1024


def validate_pod_spec(spec: object, *, field: str = "podSpec") -> dict[str, Any]:
    """Return the spec unchanged if Kubernetes would accept its shape, else raise InvalidInput.

    The structural checks come first so that the most common mistakes get a precise message;
    the kubernetes client's strict model then catches typos and wrong types everywhere else.
    Takes tens of milliseconds for a large spec: async callers run it in a thread.
    """
    if not isinstance(spec, Mapping):
        raise InvalidInput(f"{field}: must be an object (a core/v1 PodSpec)", field=field)
    if value_nests_deeper_than(spec, MAX_JSON_DEPTH):
        raise InvalidInput(f"{field}: nests deeper than {MAX_JSON_DEPTH} levels", field=field)
    size = len(json.dumps(spec, separators=(",", ":"), ensure_ascii=False).encode())
    if size > MAX_POD_SPEC_BYTES:
        raise InvalidInput(
            f"{field}: {size} bytes as JSON; at most {MAX_POD_SPEC_BYTES} (256 KiB)", field=field
        )
    containers = spec.get("containers")
    if not isinstance(containers, Sequence) or isinstance(containers, str) or not containers:
        raise InvalidInput(
            f"{field}.containers: at least one container is required", field=f"{field}.containers"
        )
    for index, container in enumerate(containers):
        path = f"{field}.containers[{index}]"
        if not isinstance(container, Mapping):
            raise InvalidInput(f"{path}: must be an object", field=path)
        for key in ("name", "image"):
            value = container.get(key)
            if not isinstance(value, str) or not value.strip():
                raise InvalidInput(f"{path}.{key}: required", field=f"{path}.{key}")
    try:
        V1PodSpec.model_validate(dict(spec))
    except ValidationError as error:
        first = error.errors()[0]
        path = _join_path(field, first["loc"])
        raise InvalidInput(f"{path}: {first['msg']}", field=path) from None
    return dict(spec)


def _join_path(root: str, location: Sequence[str | int]) -> str:
    path = root
    for part in location:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path
