from __future__ import annotations

import ssl
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import httpx
import pytest
from kubernetes import client

from app.localcluster import KubeletTimings, ThreadedLocalCluster, start_in_thread

T = TypeVar("T")

FAST_TIMINGS = KubeletTimings(image_pull_backoff=0.2, crash_loop_backoff=0.2, max_backoff=1.0)


@pytest.fixture(scope="module")
def cluster() -> Iterator[ThreadedLocalCluster]:
    running = start_in_thread(
        {"patrol-test/python": ["python", "-c"]}, timings=FAST_TIMINGS, history_size=200
    )
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(autouse=True)
def no_leftover_faults(cluster: ThreadedLocalCluster) -> Iterator[None]:
    yield
    cluster.faults.clear()


@pytest.fixture(scope="module")
def api_client(cluster: ThreadedLocalCluster) -> Iterator[client.ApiClient]:
    with cluster.api_client() as api:
        yield api


@pytest.fixture(scope="module")
def core(api_client: client.ApiClient) -> client.CoreV1Api:
    return client.CoreV1Api(api_client)


@pytest.fixture
def namespace(core: client.CoreV1Api) -> str:
    name = f"t-{uuid.uuid4().hex[:8]}"
    core.create_namespace({"metadata": {"name": name}})
    return name


def eventually(probe: Callable[[], T | None], timeout: float = 10.0, interval: float = 0.02) -> T:
    """Polls `probe` until it returns something truthy, or fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s; last value: {last!r}")


def pod_manifest(name: str, command: list[str], **spec: Any) -> dict[str, Any]:
    labels = spec.pop("labels", {"app": "test"})
    container = {"name": "app", "image": spec.pop("image", "busybox:1.36"), "command": command}
    container.update(spec.pop("container", {}))
    return {
        "metadata": {"name": name, "labels": labels},
        "spec": {"restartPolicy": "Never", "containers": [container], **spec},
    }


def trusting(cluster: ThreadedLocalCluster) -> ssl.SSLContext | bool:
    """What an HTTP client should verify a (possibly HTTPS) cluster with."""
    if cluster.certificate_authority is None:
        return True
    return ssl.create_default_context(cadata=cluster.certificate_authority.decode())


@pytest.fixture(scope="module")
def http(cluster: ThreadedLocalCluster) -> Iterator[httpx.Client]:
    """Raw HTTP with the cluster's bearer token, as kubectl sends it."""
    with httpx.Client(
        base_url=cluster.url,
        timeout=10,
        verify=trusting(cluster),
        headers={"Authorization": f"Bearer {cluster.token}"},
    ) as raw:
        yield raw


@pytest.fixture(scope="module")
def anonymous(cluster: ThreadedLocalCluster) -> Iterator[httpx.Client]:
    """Raw HTTP without credentials."""
    with httpx.Client(base_url=cluster.url, timeout=10, verify=trusting(cluster)) as raw:
        yield raw
