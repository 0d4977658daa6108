"""A nesting limit for every JSON document Patrol reads: deep nesting is refused up front, in time
linear in the size of the text, instead of ending in a RecursionError inside a parser or
validator (a 500)."""

from __future__ import annotations

import json
import math
import re
from typing import Any

# Deeper than any pod spec, label set, report or GraphQL request a person writes.
MAX_JSON_DEPTH = 64

# Strings are skipped whole (brackets inside them do not nest); possessive, so linear.
_STRING_BYTES = re.compile(rb'"[^"\\]*+(?:\\.[^"\\]*+)*+"', re.DOTALL)
_STRING_TEXT = re.compile(r'"[^"\\]*+(?:\\.[^"\\]*+)*+"', re.DOTALL)
_NOT_BRACKET_BYTES = bytes(set(range(256)) - set(b"[]{}"))
_NOT_BRACKET_TEXT = re.compile(r"[^\[\]{}]++")
# Objects and arrays nest alike; the parser itself checks that each bracket is closed in kind.
_AS_SQUARE = bytes.maketrans(b"{}", b"[]")
_OPEN = ord("[")
_RUN = re.compile(rb"\[++|\]++")
# Few enough innermost pairs to walk the bracket runs one by one in Python; until then, passes
# that each remove a level shrink the skeleton. Bounds the work for a 1 MB body to ~50 ms.
_PEAKS_TO_WALK = 50_000


class TooDeeplyNested(ValueError):
    def __init__(self, max_depth: int) -> None:
        super().__init__(f"JSON nests deeper than {max_depth} levels")
        self.max_depth = max_depth


def loads(document: str | bytes, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """`json.loads` of strict JSON, refusing a document that nests arrays and objects deeper
    than `max_depth` with TooDeeplyNested. Malformed documents raise json.JSONDecodeError (or
    UnicodeDecodeError for bytes that are not UTF-8), and so do numbers JSON cannot carry
    (NaN, Infinity, 1e999) or Python will not convert (integers of over 4300 digits)."""
    if text_nests_deeper_than(document, max_depth):
        raise TooDeeplyNested(max_depth)
    try:
        return json.loads(document, parse_constant=_refuse_constant, parse_float=_finite_float)
    except RecursionError:
        # Unbalanced brackets the pre-scan leaves to the parser, e.g. 100,000 `[` and one `]`.
        raise TooDeeplyNested(max_depth) from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise
    except ValueError as error:
        raise json.JSONDecodeError(f"unreadable number: {error}", "", 0) from None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text[:20]} is too large")
    return value


def text_nests_deeper_than(document: str | bytes, max_depth: int) -> bool:
    """Whether the JSON text nests deeper than `max_depth`; unbalanced text answers False
    (the parser rejects it). Linear: at most a few dozen passes at C speed over the brackets,
    then one walk over what is left."""
    skeleton = _brackets(document).translate(_AS_SQUARE)
    for passes in range(max_depth + 1):
        if skeleton.count(b"[]") <= _PEAKS_TO_WALK:
            return _walk_exceeds(skeleton, max_depth - passes)
        # Removes exactly the innermost level: `replace` never rescans what it produced.
        skeleton = skeleton.replace(b"[]", b"")
    return True


def _walk_exceeds(skeleton: bytes, max_depth: int) -> bool:
    depth = 0
    for run in _RUN.finditer(skeleton):
        length = run.end() - run.start()
        depth += length if skeleton[run.start()] == _OPEN else -length
        if depth > max_depth:
            return True
        if depth < 0:
            return False
    return False


def _brackets(document: str | bytes) -> bytes:
    """The document's brackets outside strings, in order."""
    if isinstance(document, bytes):
        return _STRING_BYTES.sub(b"", document).translate(None, _NOT_BRACKET_BYTES)
    return _NOT_BRACKET_TEXT.sub("", _STRING_TEXT.sub("", document)).encode()


def value_nests_deeper_than(value: object, max_depth: int) -> bool:
    """Whether decoded JSON (dicts and lists) nests deeper than `max_depth`; iterative, so any
    depth is safe to ask about."""
    stack: list[tuple[object, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, (list, tuple)):
            children = item
        else:
            continue
        if depth + 1 > max_depth:
            return True
        stack.extend(
            (child, depth + 1) for child in children if isinstance(child, (dict, list, tuple))
        )
    return False
