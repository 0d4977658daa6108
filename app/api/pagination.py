"""Opaque keyset cursors and page sizes for Relay-style connections."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from app.errors import InvalidInput

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


def page_size(first: int | None) -> int:
    if first is None:
        return DEFAULT_PAGE_SIZE
    if first < 0 or first > MAX_PAGE_SIZE:
        raise InvalidInput(
            f"first: must be between 0 and {MAX_PAGE_SIZE}, got {first}", field="first"
        )
    return first


def encode_cursor(kind: str, key: list[Any]) -> str:
    raw = json.dumps([kind, *key], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(kind: str, cursor: str, *, arity: int) -> list[Any]:
    """The key values inside a cursor made by `encode_cursor(kind, ...)`, or InvalidInput."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        decoded = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        decoded = None
    if not isinstance(decoded, list) or len(decoded) != arity + 1 or decoded[0] != kind:
        raise InvalidInput(f"after: {cursor!r} is not a valid {kind} cursor", field="after")
    return decoded[1:]
