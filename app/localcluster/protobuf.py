"""The protobuf bodies kubectl sends for built-in kinds (`kubectl create namespace`), decoded to the
JSON form the rest of the local cluster speaks. Only what such a body carries is decoded: the
`k8s\\0` envelope (runtime.Unknown), a Namespace and its ObjectMeta."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from app.localcluster.errors import ApiError, bad_request

PROTOBUF = "application/vnd.kubernetes.protobuf"
_MAGIC = b"k8s\x00"

Fields = dict[int, list[Any]]


def decode_object(body: bytes) -> dict[str, Any]:
    if not body.startswith(_MAGIC):
        raise bad_request("the body of the request could not be decoded as protobuf")
    try:
        unknown = _fields(body[len(_MAGIC) :])
        type_meta = _fields(_one(unknown, 1, b""))
        api_version = _text(type_meta, 1)
        kind = _text(type_meta, 2)
        raw = _one(unknown, 2, b"")
        if kind != "Namespace" or api_version != "v1":
            raise ApiError(
                415,
                "UnsupportedMediaType",
                f"the local cluster decodes protobuf for v1 Namespace only, not {api_version} {kind}"
                ": send application/json",
            )
        return _namespace(_fields(raw))
    except (IndexError, ValueError, UnicodeDecodeError):
        raise bad_request("the body of the request could not be decoded as protobuf") from None


def _namespace(fields: Fields) -> dict[str, Any]:
    namespace: dict[str, Any] = {"apiVersion": "v1", "kind": "Namespace"}
    namespace["metadata"] = _object_meta(_fields(_one(fields, 1, b"")))
    spec = _fields(_one(fields, 2, b""))
    finalizers = [value.decode() for value in spec.get(1, [])]
    if finalizers:
        namespace["spec"] = {"finalizers": finalizers}
    return namespace


def _object_meta(fields: Fields) -> dict[str, Any]:
    metadata: dict[str, Any] = {}
    for number, name in ((1, "name"), (2, "generateName"), (3, "namespace")):
        if number in fields:
            metadata[name] = _text(fields, number)
    for number, name in ((11, "labels"), (12, "annotations")):
        entries = [_fields(entry) for entry in fields.get(number, [])]
        if entries:
            metadata[name] = {_text(entry, 1): _text(entry, 2) for entry in entries}
    finalizers = [value.decode() for value in fields.get(14, [])]
    if finalizers:
        metadata["finalizers"] = finalizers
    return metadata


def _fields(data: bytes) -> Fields:
    """Protobuf wire format: field number → values (ints for varints, bytes for the rest)."""
    fields: Fields = defaultdict(list)
    position = 0
    while position < len(data):
        key, position = _varint(data, position)
        number, wire_type = key >> 3, key & 7
        if wire_type == 0:
            value, position = _varint(data, position)
            fields[number].append(value)
        elif wire_type == 2:
            length, position = _varint(data, position)
            if position + length > len(data):
                raise ValueError("truncated field")
            fields[number].append(data[position : position + length])
            position += length
        elif wire_type in (1, 5):
            size = 8 if wire_type == 1 else 4
            fields[number].append(data[position : position + size])
            position += size
        else:
            raise ValueError(f"unsupported wire type {wire_type}")
    return fields


def _varint(data: bytes, position: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[position]
        position += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, position
        shift += 7
        if shift > 63:
            raise ValueError("varint too long")


def _one(fields: Fields, number: int, default: Any) -> Any:
    values = fields.get(number)
    return values[-1] if values else default


def _text(fields: Fields, number: int) -> str:
    value = _one(fields, number, b"")
    return value.decode() if isinstance(value, bytes) else str(value)
