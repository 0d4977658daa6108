"""`POST /_local/faults`: a bad body is a 400 that changes nothing."""

from __future__ import annotations

import json

import httpx
import pytest

from app.localcluster import ThreadedLocalCluster
from app.localcluster.faults import FaultDecision

NESTED_TOO_DEEP = (
    b'{"action": "fail_requests", "path_contains": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
)


def fault(**fields: object) -> bytes:
    return json.dumps(fields).encode()


MALFORMED: dict[str, tuple[bytes, str]] = {
    # name: (body, part of the message)
    "not JSON": (b"fail_requests please", "could not be decoded as JSON"),
    "an empty body": (b"", "must be a JSON object"),
    "a list": (b'[{"action": "clear"}]', "must be a JSON object"),
    "a string": (b'"clear"', "must be a JSON object"),
    "JSON nested too deep": (NESTED_TOO_DEEP, "could not be decoded as JSON"),
    "no action": (fault(count=1), "action must be one of"),
    "an unknown action": (fault(action="explode"), 'got "explode"'),
    "an action that is not a string": (fault(action=["clear"]), "action must be one of"),
    "an unknown key": (
        fault(action="fail_requests", count=1, stauts=500),
        'unknown field(s) for fail_requests: "stauts"',
    ),
    "a key for another action": (
        fault(action="fail_requests", seconds=1),
        'unknown field(s) for fail_requests: "seconds"',
    ),
    "a key on a cluster action": (fault(action="clear", count=1), "unknown field(s) for clear"),
    "a negative count": (fault(action="fail_requests", count=-1), "count must be a positive"),
    "a zero count": (fault(action="fail_requests", count=0), "got 0"),
    "a boolean count": (fault(action="fail_requests", count=True), "got true"),
    "a string count": (fault(action="fail_requests", count="1"), 'got "1"'),
    "a fractional count": (fault(action="fail_requests", count=1.5), "got 1.5"),
    "a null count": (fault(action="fail_requests", count=None), "got null"),
    "a success status": (fault(action="fail_requests", status=200), "from 400 to 599, got 200"),
    "a status above 599": (fault(action="fail_requests", status=600), "got 600"),
    "a string status": (fault(action="fail_requests", status="503"), 'got "503"'),
    "a boolean status": (fault(action="fail_requests", status=True), "got true"),
    "a float status": (fault(action="fail_requests", status=503.0), "got 503.0"),
    "a path filter that is not a string": (
        fault(action="fail_requests", path_contains=["/pods"]),
        "path_contains must be a string",
    ),
    "several problems at once": (
        fault(action="fail_requests", count=0, status=0),
        "count must be a positive integer, got 0; status must be",
    ),
    "a delay without seconds": (fault(action="delay_requests"), "delay_requests requires seconds"),
    "a zero delay": (fault(action="delay_requests", seconds=0), "above 0 and at most 300"),
    "a negative delay": (fault(action="delay_requests", seconds=-1), "got -1"),
    "a huge delay": (fault(action="delay_requests", seconds=1e9), "got 1000000000.0"),
    "a delay just over the limit": (fault(action="delay_requests", seconds=300.5), "got 300.5"),
    "an infinite delay": (b'{"action": "delay_requests", "seconds": Infinity}', "got Infinity"),
    "a NaN delay": (b'{"action": "delay_requests", "seconds": NaN}', "got NaN"),
    "a string delay": (fault(action="delay_requests", seconds="1"), 'got "1"'),
    "a boolean delay": (fault(action="delay_requests", seconds=True), "got true"),
    "a delay with a zero count": (fault(action="delay_requests", seconds=1, count=0), "count"),
    "an unknown method": (
        fault(action="fail_requests", method="get"),
        'method must be one of GET, POST, PUT, PATCH, DELETE, got "get"',
    ),
}


@pytest.mark.parametrize("body, message", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_fault_request_is_a_400_that_changes_nothing(
    cluster: ThreadedLocalCluster, http: httpx.Client, body: bytes, message: str
) -> None:
    response = http.post(
        "/_local/faults", content=body, headers={"content-type": "application/json"}
    )

    assert response.status_code == 400
    status = response.json()
    assert status["kind"] == "Status"
    assert status["reason"] == "BadRequest"
    assert status["code"] == 400
    assert message in status["message"]
    assert http.get("/api/v1/namespaces", timeout=5).status_code == 200
    assert cluster.faults.take("/api/v1/namespaces") == FaultDecision()


def test_a_fault_request_may_give_every_field_it_accepts(http: httpx.Client) -> None:
    delayed = http.post(
        "/_local/faults",
        json={"action": "delay_requests", "seconds": 0.01, "count": 1, "path_contains": "/api"},
    )
    failed = http.post(
        "/_local/faults",
        json={
            "action": "fail_requests",
            "count": 1,
            "status": 429,
            "path_contains": None,
            "method": "GET",
        },
    )

    assert delayed.json() == {"ok": True, "action": "delay_requests"}
    assert failed.json() == {"ok": True, "action": "fail_requests"}
    assert http.get("/api/v1/namespaces").status_code == 429
    assert http.get("/api/v1/namespaces").status_code == 200
