"""Kept-alive connections to a cluster never desynchronise: every response Patrol does not need in
full is still read to its end (or its connection dropped) before the connection is reused, so the
next request on it never reads a stale body where its status line should be."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from kubernetes import client as k8s

from app.adapters.kube import ClusterClient, KubeError
from app.localcluster import ThreadedLocalCluster, start_in_thread

PODS = 24
ROUNDS = 3


@pytest.fixture
def cluster() -> Iterator[ThreadedLocalCluster]:
    running = start_in_thread({"patrol-test/python": ["python", "-c"]})
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def namespace(cluster: ThreadedLocalCluster) -> str:
    name = f"keepalive-{uuid.uuid4().hex[:8]}"
    with cluster.api_client() as api:
        k8s.CoreV1Api(api).create_namespace({"metadata": {"name": name}})
    return name


@pytest.fixture
def cluster_client(cluster: ThreadedLocalCluster) -> Iterator[ClusterClient]:
    # Few threads, so the same few pooled connections carry every kind of request in turn.
    with cluster.api_client() as api, ThreadPoolExecutor(3) as executor:
        yield ClusterClient(api.configuration, executor, max_waiting=PODS * 8)


def pod(name: str) -> dict[str, object]:
    return {
        "metadata": {"name": name, "labels": {"app": "keepalive"}},
        "spec": {
            "restartPolicy": "Never",
            "containers": [
                {"name": "main", "image": "patrol-test/python", "args": ["print('x' * 2000)"]}
            ],
        },
    }


def watch_a_little(client: ClusterClient, namespace: str, resource_version: str) -> int:
    """Reads one event of a watch, then walks away from the stream while it is still open."""
    events = client.watch_pods(namespace, "app=keepalive", resource_version, timeout_seconds=30)
    try:
        next(events)
        return 1
    except StopIteration:
        return 0
    finally:
        events.close()


async def test_every_kind_of_request_parses_on_reused_connections(
    cluster_client: ClusterClient, namespace: str, caplog: pytest.LogCaptureFixture
) -> None:
    # urllib3 retries a request whose connection desynchronised, hiding the failure from the
    # caller; its warning is the evidence.
    caplog.set_level(logging.WARNING, logger="urllib3")
    loop = asyncio.get_running_loop()
    for round_number in range(ROUNDS):
        names = [f"p{round_number}-{index}" for index in range(PODS)]
        await asyncio.gather(*(cluster_client.create_pod(namespace, pod(name)) for name in names))
        _, resource_version = await cluster_client.list_pods(namespace, "app=keepalive")
        calls = [
            call
            for name in names
            for call in (
                cluster_client.get_pod(namespace, name),
                cluster_client.list_pod_events(namespace, name),
                cluster_client.read_log_tail(
                    namespace, name, container="main", tail_lines=5, limit_bytes=64
                ),
                # Deletes race the kubelet starting and ending the same pods.
                cluster_client.delete_pod(namespace, name),
                cluster_client.get_pod(namespace, name),
            )
        ]
        watches = [
            loop.run_in_executor(None, watch_a_little, cluster_client, namespace, resource_version)
            for _ in range(4)
        ]
        results = await asyncio.gather(*calls, *watches, return_exceptions=True)
        # A log read of a pod the racing delete already removed is a real, well-formed 404.
        failures = [
            result
            for result in results
            if isinstance(result, BaseException)
            and not (isinstance(result, KubeError) and result.not_found)
        ]
        assert not failures, failures[:3]
        assert all(isinstance(result, int) for result in results[len(calls) :])

    broken = [record.getMessage() for record in caplog.records if record.name.startswith("urllib3")]
    assert not broken, broken[:1]
    listed, _ = await cluster_client.list_pods(namespace, "app=keepalive")
    leftovers = [item["metadata"]["name"] for item in listed]
    assert all(name.startswith("p") for name in leftovers)


def test_kube_errors_still_surface(cluster: ThreadedLocalCluster) -> None:
    """The connection handling does not swallow real errors."""
    with cluster.api_client() as api, ThreadPoolExecutor(1) as executor:
        client = ClusterClient(api.configuration, executor, max_waiting=8)
        with pytest.raises(KubeError) as raised:
            asyncio.run(client.create_pod("no-such-namespace", pod("x")))
    assert raised.value.not_found
