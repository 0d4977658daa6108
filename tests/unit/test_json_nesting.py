import json
import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.json_nesting import (
    TooDeeplyNested,
    loads,
    text_nests_deeper_than,
    value_nests_deeper_than,
)


def nested(depth: int) -> Any:
    value: Any = 1
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


def depth_of(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((depth_of(item) for item in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((depth_of(item) for item in value), default=0)
    return 0


@pytest.mark.parametrize("depth", [0, 1, 63, 64])
def test_documents_up_to_the_limit_are_read(depth: int) -> None:
    text = json.dumps(nested(depth))
    assert loads(text) == nested(depth)
    assert loads(text.encode()) == nested(depth)


@pytest.mark.parametrize("depth", [65, 1_000, 100_000])
def test_deeper_documents_are_refused_before_parsing(depth: int) -> None:
    with pytest.raises(TooDeeplyNested, match="JSON nests deeper than 64 levels"):
        loads(b"[" * depth + b"]" * depth)
    assert value_nests_deeper_than(nested(depth), 64)


def test_brackets_inside_strings_do_not_nest() -> None:
    text = json.dumps(["[[[[{{{{", 'a "quoted" \\ [[[', {"k": "]]]]"}])
    assert not text_nests_deeper_than(text, 2)
    assert text_nests_deeper_than(text, 1)


@pytest.mark.parametrize("body", [b"[[", b"]]", b"[}", b'{"a": [1, 2}', b"[" * 100_000 + b"]"])
def test_malformed_documents_fail_as_malformed_or_too_deep(body: bytes) -> None:
    with pytest.raises((json.JSONDecodeError, TooDeeplyNested)):
        loads(body)


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 500_000 + b"]" * 500_000,
        (b"[" * 64 + b"]" * 64) * 8_000,
        (b"[" * 9 + b"]" * 9) * 55_000,
        b"[[]" * 300_000 + b"]" * 300_000,
        b'["' + b"[" * 1_000_000 + b'"]',
    ],
)
def test_checking_a_megabyte_takes_milliseconds(body: bytes) -> None:
    started = time.perf_counter()
    text_nests_deeper_than(body, 64)
    assert time.perf_counter() - started < 0.5


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet='ab[]{}"\\ ,:'),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.text(alphabet='k[]{}"\\', max_size=3), children, max_size=3)
    ),
    max_leaves=40,
)


@settings(max_examples=300)
@given(value=json_values, limit=st.integers(min_value=0, max_value=8))
def test_the_text_scan_agrees_with_the_decoded_depth(value: Any, limit: int) -> None:
    text = json.dumps(value)
    too_deep = depth_of(value) > limit
    assert text_nests_deeper_than(text, limit) is too_deep
    assert text_nests_deeper_than(text.encode(), limit) is too_deep
    assert value_nests_deeper_than(value, limit) is too_deep


@pytest.mark.parametrize("body", [b"1" * 5_000, b"[1e999]", b"[NaN]", b'{"a": -Infinity}'])
def test_numbers_json_cannot_carry_are_malformed(body: bytes) -> None:
    with pytest.raises(json.JSONDecodeError):
        loads(body)
