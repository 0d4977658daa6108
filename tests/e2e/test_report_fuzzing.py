"""Fuzzing the report endpoint over real HTTP: any body (reports, random JSON, deep nesting, huge
strings and numbers, wrong types, bytes that are not UTF-8), any run id in the header or the URL,
any content type, sizes around the 64 KiB limit. No answer is a 5xx.

Derandomized with a fixed budget (tests/fixtures/fuzzing.py); counts are printed in the `fuzzing`
section of pytest's summary.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.models import Check, Run, RunStatus, RunTrigger
from app.models.columns import utcnow
from tests.fixtures.fuzzing import count_case
from tests.fixtures.stack import PatrolStack

RUNS = 25
RUN_IDS = [uuid.UUID(int=0xFA22 << 64 | n) for n in range(RUNS)]
POD_SPEC = {"containers": [{"name": "probe", "image": "busybox:1.36", "command": ["true"]}]}

# Header values as a client can send them (no surrounding blanks).
ASCII = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=60).map(
    str.strip
)
TEXT = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["", " ", "\x00", "\ud800", "disk full"]),
    st.integers(min_value=4_000, max_value=5_000).map(lambda n: "e" * n),
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(TEXT, children, max_size=4),
    max_leaves=15,
)


@st.composite
def reports(draw: st.DrawFn) -> bytes:
    """Bodies that are reports, or nearly."""
    keys = {
        "ok": draw(st.sampled_from(["OK", "ok", "Ok", "oK"])),
        "errors": draw(st.sampled_from(["Errors", "errors", "ERRORS"])),
    }
    document: dict[str, Any] = {keys["ok"]: draw(st.booleans() | JSON_VALUES)}
    if draw(st.booleans()):
        document[keys["errors"]] = draw(
            st.lists(TEXT, max_size=5)
            | st.integers(min_value=95, max_value=120).map(lambda n: ["e"] * n)
            | JSON_VALUES
        )
    if draw(st.booleans()):
        document[draw(TEXT)] = draw(JSON_VALUES)
    return json.dumps(document, ensure_ascii=draw(st.booleans())).encode("utf-8", "surrogatepass")


def nested(depth: int, opening: bytes, closing: bytes) -> bytes:
    return b'{"OK": false, "Errors": ["deep"], "x": ' + opening * depth + closing * depth + b"}"


BODIES = st.one_of(
    reports(),
    JSON_VALUES.map(lambda value: json.dumps(value).encode()),
    st.integers(min_value=60, max_value=40_000).map(lambda n: nested(n, b"[", b"]")),
    st.integers(min_value=60, max_value=20_000).map(lambda n: nested(n, b'{"a":', b"}")),
    st.integers(min_value=60_000, max_value=70_000).map(
        lambda n: b'{"OK": false, "Errors": ["' + b"x" * n + b'"]}'
    ),
    st.sampled_from(
        [
            b'{"OK": true, "n": ' + b"9" * 5_000 + b"}",
            b'{"OK": true, "n": 1e999}',
            b'{"OK": NaN}',
            b"\xff\xfe\x00",
            b"",
        ]
    ),
    st.binary(max_size=300),
)
KNOWN_RUN = st.sampled_from(RUN_IDS).map(str)
RUN_REFERENCES = st.one_of(st.none(), KNOWN_RUN, st.uuids().map(str), ASCII)


@pytest.fixture
async def client(api_stack: PatrolStack) -> AsyncIterator[httpx.AsyncClient]:
    """The API with running runs under ids the fuzzer knows."""
    # One check per run: a check has at most one run in flight per cluster.
    checks = [
        Check(name=f"fuzzed-{n}", namespace="default", pod_spec=POD_SPEC, timeout_seconds=3600)
        for n in range(RUNS)
    ]
    now = utcnow()
    async with api_stack.runtime.session_factory.begin() as session:
        session.add_all(checks)
        await session.flush()
        session.add_all(
            Run(
                id=run_id,
                check_id=check.id,
                cluster_id=api_stack.cluster.id,
                check_version=1,
                trigger=RunTrigger.API,
                status=RunStatus.RUNNING,
                scheduled_at=now,
                started_at=now,
                deadline_at=now + timedelta(hours=1),
                pod_name=check.name,
                pod_namespace="default",
            )
            for check, run_id in zip(checks, RUN_IDS, strict=True)
        )
    async with httpx.AsyncClient(base_url=api_stack.api_url, timeout=30) as client:
        yield client


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    path=st.sampled_from(["/check", "/externalCheckStatus"]),
    body=st.one_of(reports(), reports(), BODIES),
    header=st.one_of(KNOWN_RUN, KNOWN_RUN, RUN_REFERENCES),
    in_url=st.one_of(st.none(), st.none(), RUN_REFERENCES),
    content_type=st.sampled_from([None, "application/json", "text/plain", "x/y; charset=nope"]),
)
async def test_no_report_fails_the_server(
    client: httpx.AsyncClient,
    path: str,
    body: bytes,
    header: str | None,
    in_url: str | None,
    content_type: str | None,
) -> None:
    headers = {}
    if header is not None:
        headers["kh-run-uuid"] = header
    if content_type is not None:
        headers["content-type"] = content_type
    params = {} if in_url is None else {"kh-run-uuid": in_url}
    response = await client.post(path, content=body, headers=headers, params=params)
    assert response.status_code < 500, (response.status_code, response.text[:300], body[:300])
    count_case("report endpoint", f"HTTP {response.status_code}")
