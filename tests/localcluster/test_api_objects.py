from __future__ import annotations

import json
import re

import httpx
import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException

from tests.localcluster.conftest import pod_manifest


def status_of(error: ApiException) -> dict:
    return json.loads(error.body)


def test_create_fills_server_side_metadata_and_resets_status(
    core: client.CoreV1Api, namespace: str
) -> None:
    manifest = pod_manifest("filled", ["sleep", "30"], nodeSelector={"absent": "label"})
    manifest["status"] = {"phase": "Running"}

    pod = core.create_namespaced_pod(namespace, manifest)

    assert re.fullmatch(r"[0-9a-f-]{36}", pod.metadata.uid)
    assert pod.metadata.resource_version.isdigit()
    assert pod.metadata.namespace == namespace
    assert pod.metadata.generation == 1
    assert pod.metadata.creation_timestamp.tzinfo is not None
    assert pod.status.phase == "Pending"
    assert pod.status.qos_class == "BestEffort"


def test_generate_name_appends_five_characters(core: client.CoreV1Api, namespace: str) -> None:
    manifest = pod_manifest("", ["true"], nodeSelector={"absent": "label"})
    manifest["metadata"] = {"generateName": "checker-"}

    pod = core.create_namespaced_pod(namespace, manifest)

    assert re.fullmatch(r"checker-[bcdfghjklmnpqrstvwxz2456789]{5}", pod.metadata.name)


def test_creating_a_duplicate_name_is_a_409_already_exists_status(
    core: client.CoreV1Api, namespace: str
) -> None:
    manifest = pod_manifest("twin", ["true"], nodeSelector={"absent": "label"})
    core.create_namespaced_pod(namespace, manifest)

    with pytest.raises(ApiException) as raised:
        core.create_namespaced_pod(namespace, manifest)

    assert raised.value.status == 409
    assert status_of(raised.value) == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": 'pods "twin" already exists',
        "reason": "AlreadyExists",
        "details": {"name": "twin", "kind": "pods"},
        "code": 409,
    }


def test_reading_a_missing_pod_is_a_404_not_found_status(
    core: client.CoreV1Api, namespace: str
) -> None:
    with pytest.raises(ApiException) as raised:
        core.read_namespaced_pod("ghost", namespace)

    assert raised.value.status == 404
    body = status_of(raised.value)
    assert body["reason"] == "NotFound"
    assert body["message"] == 'pods "ghost" not found'
    assert body["details"] == {"name": "ghost", "kind": "pods"}


def test_a_pod_without_containers_is_a_422_invalid_status_with_causes(
    http: httpx.Client, namespace: str
) -> None:
    response = http.post(
        f"/api/v1/namespaces/{namespace}/pods",
        json={"metadata": {"name": "empty"}, "spec": {"containers": []}},
    )

    assert response.status_code == 422
    body = response.json()
    assert body["reason"] == "Invalid"
    assert body["message"] == 'Pod "empty" is invalid: spec.containers: Required value'
    assert body["details"]["kind"] == "Pod"
    assert body["details"]["causes"] == [
        {"reason": "FieldValueRequired", "message": "Required value", "field": "spec.containers"}
    ]


def test_a_body_namespace_that_differs_from_the_url_is_a_400(
    core: client.CoreV1Api, namespace: str
) -> None:
    manifest = pod_manifest("elsewhere", ["true"])
    manifest["metadata"]["namespace"] = "default"

    with pytest.raises(ApiException) as raised:
        core.create_namespaced_pod(namespace, manifest)

    assert raised.value.status == 400
    assert "does not match the namespace" in status_of(raised.value)["message"]


def test_creating_in_a_missing_namespace_is_404_but_listing_it_is_empty(
    core: client.CoreV1Api,
) -> None:
    with pytest.raises(ApiException) as raised:
        core.create_namespaced_pod("nowhere", pod_manifest("p", ["true"]))

    assert raised.value.status == 404
    assert status_of(raised.value)["message"] == 'namespaces "nowhere" not found'
    assert core.list_namespaced_pod("nowhere").items == []


def test_list_filters_by_label_selector_with_set_and_inequality_operators(
    core: client.CoreV1Api, namespace: str
) -> None:
    for name, labels in [("a", {"tier": "web"}), ("b", {"tier": "db"}), ("c", {})]:
        core.create_namespaced_pod(
            namespace, pod_manifest(name, ["true"], labels=labels, nodeSelector={"x": "y"})
        )

    def names(selector: str) -> list[str]:
        return sorted(
            p.metadata.name
            for p in core.list_namespaced_pod(namespace, label_selector=selector).items
        )

    assert names("tier=web") == ["a"]
    assert names("tier in (web,db)") == ["a", "b"]
    assert names("tier!=web") == ["b", "c"]
    assert names("tier notin (db)") == ["a", "c"]
    assert names("tier") == ["a", "b"]
    assert names("!tier") == ["c"]


def test_list_items_have_no_type_meta_and_the_list_has_a_resource_version(
    core: client.CoreV1Api, http: httpx.Client, namespace: str
) -> None:
    core.create_namespaced_pod(namespace, pod_manifest("typed", ["true"], nodeSelector={"x": "y"}))

    raw = http.get(f"/api/v1/namespaces/{namespace}/pods").json()

    assert raw["kind"] == "PodList"
    assert raw["metadata"]["resourceVersion"].isdigit()
    assert "kind" not in raw["items"][0] and "apiVersion" not in raw["items"][0]


def test_an_unsupported_field_label_is_a_400_bad_request(
    core: client.CoreV1Api, namespace: str
) -> None:
    with pytest.raises(ApiException) as raised:
        core.list_namespaced_pod(namespace, field_selector="spec.containers=x")

    assert raised.value.status == 400
    assert status_of(raised.value)["message"] == "field label not supported: spec.containers"


def test_patching_status_uses_strategic_merge_and_is_visible_to_field_selectors(
    core: client.CoreV1Api, namespace: str
) -> None:
    core.create_namespaced_pod(
        namespace, pod_manifest("patched", ["true"], nodeSelector={"x": "y"})
    )

    patched = core.patch_namespaced_pod_status(
        "patched",
        namespace,
        {
            "status": {
                "phase": "Running",
                "podIP": "127.99.0.7",
                "podIPs": [{"ip": "127.99.0.7"}],
                "conditions": [{"type": "Ready", "status": "True"}],
            }
        },
    )

    assert patched.status.phase == "Running"
    assert patched.spec.containers[0].command == ["true"]
    by_ip = core.list_namespaced_pod(namespace, field_selector="status.podIP=127.99.0.7").items
    by_phase = core.list_namespaced_pod(namespace, field_selector="status.phase!=Pending").items
    assert [p.metadata.name for p in by_ip] == ["patched"]
    assert [p.metadata.name for p in by_phase] == ["patched"]


def test_the_main_endpoint_ignores_status_and_the_status_endpoint_ignores_spec(
    core: client.CoreV1Api, namespace: str
) -> None:
    core.create_namespaced_pod(namespace, pod_manifest("scoped", ["true"], nodeSelector={"x": "y"}))

    labelled = core.patch_namespaced_pod(
        "scoped", namespace, {"metadata": {"labels": {"extra": "1"}}, "status": {"phase": "Failed"}}
    )
    status_only = core.patch_namespaced_pod_status(
        "scoped", namespace, {"spec": {"activeDeadlineSeconds": 5}}
    )

    assert labelled.metadata.labels["extra"] == "1"
    assert labelled.status.phase == "Pending"
    assert status_only.spec.active_deadline_seconds is None


def test_merge_and_json_patches_are_accepted(core: client.CoreV1Api, namespace: str) -> None:
    core.create_namespaced_pod(
        namespace, pod_manifest("flavours", ["true"], nodeSelector={"x": "y"})
    )

    merged = core.patch_namespaced_pod(
        "flavours",
        namespace,
        {"metadata": {"annotations": {"a": "1"}}},
        _content_type="application/merge-patch+json",
    )
    json_patched = core.patch_namespaced_pod(
        "flavours", namespace, [{"op": "add", "path": "/metadata/annotations/b", "value": "2"}]
    )

    assert merged.metadata.annotations == {"a": "1"}
    assert json_patched.metadata.annotations == {"a": "1", "b": "2"}
    assert int(json_patched.metadata.resource_version) > int(merged.metadata.resource_version)


def test_a_stale_resource_version_is_a_409_conflict(core: client.CoreV1Api, namespace: str) -> None:
    pod = core.create_namespaced_pod(
        namespace, pod_manifest("stale", ["true"], nodeSelector={"x": "y"})
    )
    core.patch_namespaced_pod("stale", namespace, {"metadata": {"labels": {"v": "2"}}})

    with pytest.raises(ApiException) as raised:
        core.replace_namespaced_pod("stale", namespace, pod)

    assert raised.value.status == 409
    assert status_of(raised.value)["message"] == (
        'Operation cannot be fulfilled on pods "stale": the object has been modified; '
        "please apply your changes to the latest version and try again"
    )


def test_an_unknown_patch_content_type_is_a_415(
    core: client.CoreV1Api, http: httpx.Client, namespace: str
) -> None:
    core.create_namespaced_pod(
        namespace, pod_manifest("typed-patch", ["true"], nodeSelector={"x": "y"})
    )

    response = http.patch(
        f"/api/v1/namespaces/{namespace}/pods/typed-patch",
        content=b"{}",
        headers={"Content-Type": "text/plain"},
    )

    assert response.status_code == 415
    assert response.json()["reason"] == "UnsupportedMediaType"


def test_discovery_and_version_deserialize_in_the_official_client(
    api_client: client.ApiClient,
) -> None:
    version = client.VersionApi(api_client).get_code()
    resources = client.CoreV1Api(api_client).get_api_resources()

    assert version.git_version.startswith("v1.")
    assert {"pods", "pods/log", "pods/status", "events", "namespaces"} <= {
        r.name for r in resources.resources
    }


def test_new_namespaces_are_active_and_labelled_with_their_name(
    core: client.CoreV1Api, namespace: str
) -> None:
    created = core.read_namespace(namespace)

    assert created.status.phase == "Active"
    assert created.metadata.labels == {"kubernetes.io/metadata.name": namespace}
    assert created.spec.finalizers == ["kubernetes"]
