from __future__ import annotations

import json
import threading

import httpx
import pytest
from kubernetes import client, watch
from kubernetes.client.rest import ApiException

from app.localcluster import ThreadedLocalCluster
from tests.localcluster.conftest import eventually, pod_manifest

UNSCHEDULABLE = {"nodeSelector": {"pool": "nowhere"}}


def test_a_watch_from_a_resource_version_gets_only_later_changes(
    core: client.CoreV1Api, namespace: str
) -> None:
    core.create_namespaced_pod(namespace, pod_manifest("before", ["true"], **UNSCHEDULABLE))
    listed = core.list_namespaced_pod(namespace)
    core.create_namespaced_pod(namespace, pod_manifest("after", ["true"], **UNSCHEDULABLE))

    seen = [
        (event["type"], event["object"].metadata.name)
        for event in watch.Watch().stream(
            core.list_namespaced_pod,
            namespace,
            resource_version=listed.metadata.resource_version,
            timeout_seconds=1,
        )
    ]

    assert ("ADDED", "after") in seen
    assert all(name != "before" for _, name in seen)


def test_a_watch_without_a_resource_version_starts_with_added_events_for_existing_objects(
    core: client.CoreV1Api, namespace: str
) -> None:
    core.create_namespaced_pod(namespace, pod_manifest("existing", ["true"], **UNSCHEDULABLE))

    stream = watch.Watch().stream(core.list_namespaced_pod, namespace, timeout_seconds=1)
    first = next(stream)
    stream.close()

    assert first["type"] == "ADDED"
    assert first["object"].metadata.name == "existing"


def test_a_watch_from_an_expired_resource_version_gets_an_in_band_410_expired(
    cluster: ThreadedLocalCluster, core: client.CoreV1Api, http: httpx.Client, namespace: str
) -> None:
    old_rv = core.list_namespaced_pod(namespace).metadata.resource_version
    core.create_namespaced_pod(namespace, pod_manifest("churn", ["true"], **UNSCHEDULABLE))
    cluster.compact()

    response = http.get(
        f"/api/v1/namespaces/{namespace}/pods",
        params={"watch": "true", "resourceVersion": old_rv, "timeoutSeconds": "5"},
    )
    with pytest.raises(ApiException) as raised:
        list(
            watch.Watch().stream(
                core.list_namespaced_pod, namespace, resource_version=old_rv, timeout_seconds=5
            )
        )

    assert response.status_code == 200
    lines = response.text.splitlines()
    assert len(lines) == 1
    error = json.loads(lines[0])
    assert error["type"] == "ERROR"
    assert error["object"]["code"] == 410
    assert error["object"]["reason"] == "Expired"
    assert error["object"]["message"].startswith(f"too old resource version: {old_rv} (")
    assert raised.value.status == 410


def test_a_watch_closes_cleanly_after_timeout_seconds(http: httpx.Client, namespace: str) -> None:
    with http.stream(
        "GET", f"/api/v1/namespaces/{namespace}/pods", params={"watch": "1", "timeoutSeconds": "1"}
    ) as response:
        body = response.read()

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers.get("transfer-encoding") == "chunked"
    assert body == b""


def test_dropping_watches_ends_open_streams(
    cluster: ThreadedLocalCluster, http: httpx.Client, namespace: str
) -> None:
    finished = threading.Event()

    def watch_forever() -> None:
        with http.stream(
            "GET", f"/api/v1/namespaces/{namespace}/pods", params={"watch": "true"}
        ) as response:
            response.read()
        finished.set()

    watcher = threading.Thread(target=watch_forever)
    watcher.start()
    eventually(lambda: cluster.call(lambda c: c.store.watcher_count) > 0)

    cluster.drop_watches()

    assert finished.wait(5)
    watcher.join()


def test_deleting_a_pod_emits_modified_with_a_deletion_timestamp_then_deleted(
    core: client.CoreV1Api, namespace: str
) -> None:
    created = core.create_namespaced_pod(
        namespace, pod_manifest("doomed", ["true"], **UNSCHEDULABLE)
    )

    core.delete_namespaced_pod("doomed", namespace)
    events = list(
        watch.Watch().stream(
            core.list_namespaced_pod,
            namespace,
            resource_version=created.metadata.resource_version,
            timeout_seconds=1,
        )
    )

    modified, deleted = events[-2], events[-1]
    assert modified["type"] == "MODIFIED"
    assert modified["object"].metadata.deletion_timestamp is not None
    assert deleted["type"] == "DELETED"
    assert int(deleted["object"].metadata.resource_version) > int(
        modified["object"].metadata.resource_version
    )


def test_a_label_selected_watch_sees_a_pod_that_stops_matching_as_deleted(
    core: client.CoreV1Api, namespace: str
) -> None:
    created = core.create_namespaced_pod(
        namespace, pod_manifest("relabelled", ["true"], labels={"team": "a"}, **UNSCHEDULABLE)
    )

    core.patch_namespaced_pod("relabelled", namespace, {"metadata": {"labels": {"team": "b"}}})
    events = list(
        watch.Watch().stream(
            core.list_namespaced_pod,
            namespace,
            label_selector="team=a",
            resource_version=created.metadata.resource_version,
            timeout_seconds=1,
        )
    )

    assert events[-1]["type"] == "DELETED"
    assert events[-1]["object"].metadata.labels == {"team": "b"}
    assert all(event["type"] != "ADDED" for event in events)


def test_send_initial_events_without_resource_version_match_is_rejected_with_422(
    http: httpx.Client, namespace: str
) -> None:
    response = http.get(
        f"/api/v1/namespaces/{namespace}/pods",
        params={"watch": "true", "sendInitialEvents": "true"},
    )

    assert response.status_code == 422
