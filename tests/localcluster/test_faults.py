from __future__ import annotations

import json
import time
from collections.abc import Callable

import httpx
import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException

from app.localcluster import Faults, ThreadedLocalCluster
from app.localcluster.faults import FaultDecision, InvalidFault


def test_injected_failures_return_a_status_body_then_recover(
    cluster: ThreadedLocalCluster, core: client.CoreV1Api
) -> None:
    cluster.faults.fail_requests(count=1, status=503, path_contains="/pods")

    with pytest.raises(ApiException) as raised:
        core.list_namespaced_pod("default")

    assert raised.value.status == 503
    assert json.loads(raised.value.body)["reason"] == "ServiceUnavailable"
    assert core.list_namespaced_pod("default").items is not None


def test_injected_internal_errors_only_hit_matching_paths(
    cluster: ThreadedLocalCluster, core: client.CoreV1Api
) -> None:
    cluster.faults.fail_requests(count=1, status=500, path_contains="/events")

    core.list_namespaced_pod("default")
    with pytest.raises(ApiException) as raised:
        core.list_namespaced_event("default")

    assert raised.value.status == 500
    assert json.loads(raised.value.body)["reason"] == "InternalError"


def test_injected_delays_slow_down_responses(
    cluster: ThreadedLocalCluster, core: client.CoreV1Api
) -> None:
    cluster.faults.delay_requests(0.3, count=1)

    started = time.monotonic()
    core.list_namespace()

    assert time.monotonic() - started >= 0.3


def test_the_admin_endpoint_steers_faults_from_another_process(
    http: httpx.Client, core: client.CoreV1Api
) -> None:
    steered = http.post(
        "/_local/faults", json={"action": "fail_requests", "count": 1, "status": 504}
    )

    with pytest.raises(ApiException) as raised:
        core.list_namespace()

    assert steered.status_code == 200
    assert raised.value.status == 504
    assert http.post("/_local/faults", json={"action": "compact"}).status_code == 200
    assert http.post("/_local/faults", json={"action": "explode"}).status_code == 400


@pytest.mark.parametrize(
    "inject",
    [
        lambda faults: faults.fail_requests(count="1"),
        lambda faults: faults.fail_requests(count=True),
        lambda faults: faults.fail_requests(status=200),
        lambda faults: faults.delay_requests(301),
        lambda faults: faults.delay_requests(float("nan")),
        lambda faults: faults.delay_requests(1, path_contains=3),
    ],
    ids=["string count", "bool count", "success status", "long delay", "NaN delay", "int path"],
)
def test_bad_rules_are_refused_in_process_too_and_nothing_is_injected(
    inject: Callable[[Faults], None],
) -> None:
    faults = Faults()

    with pytest.raises(InvalidFault):
        inject(faults)

    assert faults.take("/api/v1/pods") == FaultDecision()


def test_injected_faults_may_hit_one_method_only(
    cluster: ThreadedLocalCluster, core: client.CoreV1Api
) -> None:
    cluster.faults.fail_requests(count=1, status=500, path_contains="/namespaces", method="POST")

    core.list_namespace()
    assert cluster.faults.armed() == 1
    with pytest.raises(ApiException) as raised:
        core.create_namespace({"metadata": {"name": "refused-once"}})

    assert raised.value.status == 500
    assert cluster.faults.armed() == 0


def test_a_throttled_request_is_told_when_to_come_back(
    cluster: ThreadedLocalCluster, http: httpx.Client
) -> None:
    cluster.faults.fail_requests(count=1, status=429)

    response = http.get("/api/v1/namespaces")

    assert response.status_code == 429
    assert response.headers["Retry-After"] == "1"
    assert response.json()["details"] == {"retryAfterSeconds": 1}
