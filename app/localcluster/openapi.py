"""OpenAPI v3 documents, as far as kubectl reads them: `kubectl create|apply -f` downloads them to
learn that the server validates fields itself (a PATCH operation of the kind that takes the
`fieldValidation` query parameter), then sends `fieldValidation=Strict` and lets the server refuse
unknown fields. Schemas of the kinds come from the official Python client's models, which are
generated from the same OpenAPI."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from kubernetes.client import models

from app.localcluster.resources import EVENTS, NAMESPACES, PODS, Resource
from app.localcluster.store import Object

GROUP_VERSION = "api/v1"
_WRITABLE: tuple[Resource, ...] = (PODS, NAMESPACES, EVENTS)


def _gvk(resource: Resource) -> dict[str, str]:
    return {"group": "", "version": "v1", "kind": resource.kind}


def _parameter(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "description": description,
        "schema": {"type": "string", "uniqueItems": True},
    }


_FIELD_VALIDATION = _parameter(
    "fieldValidation",
    "fieldValidation instructs the server on how to handle objects in the request containing "
    "unknown or duplicate fields. Valid values are: Ignore, Warn, Strict.",
)
_DRY_RUN = _parameter(
    "dryRun", "When present, indicates that modifications should not be persisted."
)


def _operation(resource: Resource, action: str, verb: str) -> dict[str, Any]:
    scope = "Namespaced" if resource.namespaced else ""
    return {
        "tags": ["core_v1"],
        "operationId": f"{verb}CoreV1{scope}{resource.kind}",
        "parameters": [_DRY_RUN, _FIELD_VALIDATION] if action != "get" else [],
        "responses": {"200": {"description": "OK"}},
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": _gvk(resource),
    }


def _paths() -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for resource in _WRITABLE:
        prefix = "/api/v1/namespaces/{namespace}/" if resource.namespaced else "/api/v1/"
        paths[f"{prefix}{resource.name}"] = {"post": _operation(resource, "post", "create")}
        paths[f"{prefix}{resource.name}/{{name}}"] = {
            "get": _operation(resource, "get", "read"),
            "put": _operation(resource, "put", "replace"),
            "patch": _operation(resource, "patch", "patch"),
        }
    return paths


_DOCUMENT = json.dumps(
    {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": "v1.37.0-patrol-local"},
        "paths": _paths(),
        "components": {"schemas": {}},
    }
).encode()
_HASH = hashlib.sha512(_DOCUMENT).hexdigest()[:64].upper()


def v2_document() -> dict[str, Any]:
    """Swagger 2.0 with the same operations (clients that do not speak v3 probe this one)."""
    paths = json.loads(_DOCUMENT)["paths"]
    for operations in paths.values():
        for operation in operations.values():
            operation["parameters"] = [
                {key: value for key, value in parameter.items() if key != "schema"}
                | {"type": "string", "uniqueItems": True}
                for parameter in operation["parameters"]
            ]
    return {
        "swagger": "2.0",
        "info": {"title": "Kubernetes", "version": "v1.37.0-patrol-local"},
        "paths": paths,
        "definitions": {},
    }


def v3_root() -> dict[str, Any]:
    return {
        "paths": {GROUP_VERSION: {"serverRelativeURL": f"/openapi/v3/{GROUP_VERSION}?hash={_HASH}"}}
    }


def v3_document() -> bytes:
    return _DOCUMENT


def unknown_fields(obj: Object, kind: str) -> list[str]:
    """The paths of fields `obj` has that the kind's schema does not (`spec.containers[0].foo`);
    keys of strategic-merge-patch directives (`$patch`, `$setElementOrder/…`) are not fields."""
    return _unknown(obj, _MODELS.get(kind, f"V1{kind}"), "")


# Kinds whose client model is named after its group, not only its version.
_MODELS = {"Event": "CoreV1Event"}


def _unknown(value: Any, type_name: str, path: str) -> list[str]:
    # The client's generated types spell containers `list[…]`/`List[…]` and `dict(…)`/`Dict[…]`.
    if type_name[:5].lower() == "list[" and isinstance(value, list):
        inner = type_name[5:-1]
        return [
            found
            for index, item in enumerate(value)
            for found in _unknown(item, inner, f"{path}[{index}]")
        ]
    if type_name[:5].lower() in ("dict(", "dict[") and isinstance(value, dict):
        inner = type_name[5:-1].split(",", 1)[1].strip()
        return [
            found for key, item in value.items() for found in _unknown(item, inner, f"{path}.{key}")
        ]
    model = getattr(models, type_name, None)
    if model is None or not isinstance(value, dict):
        return []
    fields = {json_name: name for name, json_name in model.attribute_map.items()}
    found: list[str] = []
    for key, item in value.items():
        if key.startswith("$"):
            continue
        where = f"{path}.{key}" if path else key
        if key not in fields:
            found.append(where)
        else:
            found += _unknown(item, model.openapi_types[fields[key]], where)
    return found
