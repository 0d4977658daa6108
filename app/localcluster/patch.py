"""The four PATCH flavours: JSON Patch (RFC 6902), merge patch (RFC 7386), strategic merge, apply.

Strategic merge is approximated: merge patch semantics, plus lists of objects with a known merge
key (containers by name, conditions by type, ...) merged element-wise, and `$patch: delete`.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from app.localcluster.errors import ApiError, bad_request

JSON_PATCH = "application/json-patch+json"
MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"
PATCH_TYPES = (JSON_PATCH, MERGE_PATCH, STRATEGIC_MERGE_PATCH, APPLY_PATCH)

_MERGE_KEYS: dict[str, str] = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "volumeDevices": "devicePath",
    "ports": "containerPort",
    "conditions": "type",
    "containerStatuses": "name",
    "initContainerStatuses": "name",
    "ownerReferences": "uid",
    "imagePullSecrets": "name",
    "tolerations": "key",
    "hostAliases": "ip",
}


def apply_patch(content_type: str, document: dict[str, Any], body: bytes) -> dict[str, Any]:
    media_type = content_type.split(";")[0].strip().lower()
    if media_type not in PATCH_TYPES:
        raise ApiError(
            415,
            "UnsupportedMediaType",
            f"the body of the request was in an unknown format - accepted media types include: {', '.join(PATCH_TYPES)}",
        )
    patch = _decode(body, media_type)
    if media_type == JSON_PATCH:
        if not isinstance(patch, list):
            raise bad_request(
                "json: cannot unmarshal object into Go value of type []handlers.jsonPatchOp"
            )
        return json_patch(document, patch)
    if not isinstance(patch, dict):
        raise bad_request("patch body must be a JSON object")
    patched = (
        merge_patch(document, patch)
        if media_type == MERGE_PATCH
        else strategic_merge_patch(document, patch)
    )
    if not isinstance(patched, dict):
        raise bad_request("patch must leave an object")
    return patched


def _decode(body: bytes, media_type: str) -> Any:
    try:
        return json.loads(body or b"null")
    except ValueError:
        if media_type == APPLY_PATCH:
            import yaml

            try:
                return yaml.safe_load(body)
            except yaml.YAMLError as error:
                raise bad_request(f"error decoding YAML: {error}") from error
        raise bad_request("error decoding patch: invalid JSON") from None


def merge_patch(target: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def strategic_merge_patch(target: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if patch.get("$patch") == "replace":
        return {k: copy.deepcopy(v) for k, v in patch.items() if k != "$patch"}
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if key.startswith("$"):
            continue
        if value is None:
            result.pop(key, None)
        elif isinstance(value, list) and key in _MERGE_KEYS and isinstance(result.get(key), list):
            result[key] = _merge_named_list(result[key], value, _MERGE_KEYS[key])
        elif isinstance(value, dict):
            result[key] = strategic_merge_patch(result.get(key), value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def _merge_named_list(current: list[Any], patch: list[Any], merge_key: str) -> list[Any]:
    merged = copy.deepcopy(current)
    for item in patch:
        if not isinstance(item, dict) or merge_key not in item:
            return copy.deepcopy(patch)
        index = next(
            (
                i
                for i, existing in enumerate(merged)
                if isinstance(existing, dict) and existing.get(merge_key) == item[merge_key]
            ),
            None,
        )
        if item.get("$patch") == "delete":
            if index is not None:
                merged.pop(index)
        elif index is None:
            merged.append(strategic_merge_patch({}, item))
        else:
            merged[index] = strategic_merge_patch(merged[index], item)
    return merged


def json_patch(document: dict[str, Any], operations: list[Any]) -> dict[str, Any]:
    result: Any = copy.deepcopy(document)
    for operation in operations:
        if not isinstance(operation, dict) or "op" not in operation or "path" not in operation:
            raise bad_request("invalid JSON Patch operation")
        op = operation["op"]
        path = _pointer(operation["path"])
        if op == "add":
            result = _add(result, path, copy.deepcopy(_value(operation)))
        elif op == "remove":
            result, _ = _remove(result, path)
        elif op == "replace":
            result, _ = _remove(result, path)
            result = _add(result, path, copy.deepcopy(_value(operation)))
        elif op == "move":
            source = _pointer(operation.get("from", ""))
            result, moved = _remove(result, source)
            result = _add(result, path, moved)
        elif op == "copy":
            source = _pointer(operation.get("from", ""))
            result = _add(result, path, copy.deepcopy(_get(result, source)))
        elif op == "test":
            if _get(result, path) != _value(operation):
                raise ApiError(422, "Invalid", f"testing value {operation['path']} failed")
        else:
            raise bad_request(f"Unexpected kind: {op}")
    if not isinstance(result, dict):
        raise bad_request("JSON Patch must leave an object")
    return result


def _value(operation: dict[str, Any]) -> Any:
    if "value" not in operation:
        raise bad_request(f"missing value for {operation['op']} operation")
    return operation["value"]


def _pointer(text: str) -> list[str]:
    if text == "":
        return []
    if not text.startswith("/"):
        raise bad_request(f"invalid JSON pointer: {text}")
    return [part.replace("~1", "/").replace("~0", "~") for part in text[1:].split("/")]


def _missing(path: list[str]) -> ApiError:
    return ApiError(422, "Invalid", f"doc is missing path: /{'/'.join(path)}")


def _get(document: Any, path: list[str]) -> Any:
    node = document
    for part in path:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            raise _missing(path)
    return node


def _add(document: Any, path: list[str], value: Any) -> Any:
    if not path:
        return value
    parent = _get(document, path[:-1])
    last = path[-1]
    if isinstance(parent, dict):
        parent[last] = value
    elif isinstance(parent, list):
        if last == "-":
            parent.append(value)
        elif last.isdigit() and int(last) <= len(parent):
            parent.insert(int(last), value)
        else:
            raise _missing(path)
    else:
        raise _missing(path)
    return document


def _remove(document: Any, path: list[str]) -> tuple[Any, Any]:
    if not path:
        return None, document
    parent = _get(document, path[:-1])
    last = path[-1]
    if isinstance(parent, dict) and last in parent:
        return document, parent.pop(last)
    if isinstance(parent, list) and last.isdigit() and int(last) < len(parent):
        return document, parent.pop(int(last))
    raise _missing(path)
