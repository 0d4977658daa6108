"""Reading and writing Kuberhealthy manifests (pure)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.kuberhealthy.diff import spec_diff
from app.domain.kuberhealthy.export import ManifestFormat, compact_duration, dump_manifests
from app.domain.kuberhealthy.manifests import (
    ManifestError,
    ParsedDocument,
    manifest_field,
    parse_stream,
)
from tests.kuberhealthy.examples import DEPLOYMENT_CHECK, HTTP_CHECK, KH_JOB, V3_HEALTH_CHECK


def read(path: Path) -> list[ParsedDocument]:
    return parse_stream(path.read_text(), path.name)


def test_the_v2_http_check_maps_every_field_and_clamps_a_timeout_longer_than_the_interval() -> None:
    [document] = read(HTTP_CHECK)
    spec = document.spec
    assert document.error is None and document.kind == "KuberhealthyCheck"
    assert (spec.namespace, spec.name) == ("kuberhealthy", "http")
    assert spec.run_interval == timedelta(minutes=5) and spec.timeout == timedelta(minutes=5)
    assert spec.pod_spec["containers"][0]["env"] == [
        {"name": "CHECK_URL", "value": "http://google.com"}
    ]
    assert spec.pod_spec["terminationGracePeriodSeconds"] == 5
    assert "restartPolicy" not in spec.pod_spec["containers"][0]
    assert document.notes == [
        "spec.timeout: 10m is longer than spec.runInterval (5m); the timeout is the run interval instead",
        "spec.podSpec.containers[0].restartPolicy ignored: Kubernetes allows it only on init "
        "containers (Kuberhealthy dropped it too)",
    ]


def test_the_deployment_check_keeps_its_extras_and_skips_the_rbac_beside_it() -> None:
    check, binding, account = read(DEPLOYMENT_CHECK)
    assert check.spec.extra_labels == {"testLabel": "testLabel"}
    assert check.spec.extra_annotations == {"comcast.com/testAnnotation": "test.annotation"}
    assert check.spec.pod_spec["serviceAccountName"] == "deployment-sa"
    assert binding.skipped and binding.kind == "RoleBinding" and binding.ref.index == 1
    assert binding.notes == [
        "skipped: rbac.authorization.k8s.io/v1/RoleBinding is not a Kuberhealthy check"
    ]
    assert account.skipped and account.ref.index == 2


def test_a_kuberhealthy_job_is_a_one_shot_check_in_the_default_namespace() -> None:
    [document] = read(KH_JOB)
    assert document.kind == "KuberhealthyJob"
    assert document.spec.one_shot and document.spec.timeout == timedelta(minutes=2)
    assert document.spec.namespace == "default" and document.notes == []


def test_a_v3_health_check_unwraps_its_pod_spec_and_merges_the_pod_metadata() -> None:
    [document] = read(V3_HEALTH_CHECK)
    spec = document.spec
    assert document.kind == "HealthCheck" and spec.run_interval == timedelta(seconds=15)
    assert spec.timeout == timedelta(seconds=10)
    assert list(spec.pod_spec) == ["containers", "restartPolicy"]
    assert spec.extra_labels == {"team": "sre", "tier": "synthetic"}
    assert spec.extra_annotations == {"owner": "sre@example.com"}


def test_v3_defaults_and_single_run_only() -> None:
    text = """
apiVersion: kuberhealthy.github.io/v2
kind: HealthCheck
metadata: {name: once, namespace: ns}
spec:
  singleRunOnly: true
  runInterval: 1m
  podSpec: {spec: {containers: [{name: a, image: x}]}}
---
apiVersion: kuberhealthy.github.io/v2
kind: HealthCheck
metadata: {name: defaults, namespace: ns}
spec:
  podSpec: {spec: {containers: [{name: a, image: x}]}}
"""
    once, defaults = parse_stream(text, "v3.yaml")
    assert once.spec.one_shot and once.spec.timeout == timedelta(seconds=30)
    assert "spec.runInterval ignored: the check runs once (singleRunOnly)" in once.notes
    assert defaults.spec.run_interval == timedelta(minutes=10)
    assert defaults.spec.timeout == timedelta(seconds=30)


def test_fields_patrol_does_not_use_are_named_in_notes() -> None:
    text = """
apiVersion: comcast.github.io/v1
kind: KuberhealthyCheck
metadata:
  name: a
  namespace: ns
  uid: 123
  annotations: {x: y}
spec:
  runInterval: 1m
  timeout: 30s
  frobnicate: true
  podSpec: {containers: [{name: a, image: x}]}
status: {OK: true}
"""
    [document] = parse_stream(text, "f.yaml")
    assert document.spec is not None
    assert document.notes == [
        "status ignored: Patrol keeps its own",
        "metadata.uid ignored: set by Kubernetes",
        "metadata.annotations ignored: a check has none (spec.extraAnnotations go on its pods)",
        "spec.frobnicate ignored: KuberhealthyCheck has no such field",
    ]


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (
            "metadata: {namespace: ns}\nspec: {podSpec: {}}",
            ManifestError("metadata.name", "required"),
        ),
        (
            "metadata: {name: a}\nspec: {runInterval: soon, podSpec: {containers: []}}",
            ManifestError(
                "spec.runInterval",
                "invalid duration 'soon': use Go duration syntax such as 30s, 2m or 1h30m",
            ),
        ),
        (
            "metadata: {name: a}\nspec: {extraLabels: {v: 1}, podSpec: {}}",
            ManifestError("spec.extraLabels.v", "must be a string (quote it in YAML)"),
        ),
        ("metadata: {name: a}\nspec: {timeout: 1m}", ManifestError("spec.podSpec", "required")),
    ],
)
def test_an_invalid_document_names_its_field(body: str, error: ManifestError) -> None:
    text = (
        "kind: Namespace\napiVersion: v1\n---\napiVersion: comcast.github.io/v1\nkind: KuberhealthyCheck\n"
        + body
    )
    skipped, invalid = parse_stream(text, "bad.yaml")
    assert skipped.skipped
    assert (str(invalid.ref), invalid.error) == ("bad.yaml[1]", error)


def test_a_yaml_syntax_error_is_placed_at_its_document() -> None:
    text = "apiVersion: v1\nkind: Namespace\n---\nkey: [unclosed\n"
    first, broken = parse_stream(text, "broken.yaml")
    assert first.skipped and broken.ref.index == 1
    assert broken.error.message.startswith("not valid YAML (line 5")


def test_service_fields_map_to_manifest_paths() -> None:
    assert manifest_field("KuberhealthyCheck", "podSpec.containers[0].image") == (
        "spec.podSpec.containers[0].image"
    )
    assert (
        manifest_field("HealthCheck", "podSpec.containers[0]") == "spec.podSpec.spec.containers[0]"
    )
    assert manifest_field("HealthCheck", "name") == "metadata.name"
    assert manifest_field("HealthCheck", None) == ""


@pytest.mark.parametrize("manifest_format", list(ManifestFormat))
def test_export_then_read_gives_the_same_checks(manifest_format: ManifestFormat) -> None:
    specs = [
        d.spec
        for path in (HTTP_CHECK, DEPLOYMENT_CHECK, KH_JOB, V3_HEALTH_CHECK)
        for d in read(path)
        if d.spec
    ]
    again = [d.spec for d in parse_stream(dump_manifests(specs, manifest_format), "export.yaml")]
    assert sorted(again, key=lambda s: s.key) == sorted(specs, key=lambda s: s.key)


def test_a_v2_export_writes_a_job_for_a_one_shot_check() -> None:
    [job] = read(KH_JOB)
    text = dump_manifests([job.spec], ManifestFormat.V2)
    assert "kind: KuberhealthyJob" in text and "runInterval" not in text
    assert "singleRunOnly: true" in dump_manifests([job.spec], ManifestFormat.V3)


def test_durations_are_written_as_people_write_them() -> None:
    assert [compact_duration(timedelta(seconds=s)) for s in (120, 5400, 3600, 30, 61)] == [
        "2m",
        "1h30m",
        "1h",
        "30s",
        "1m1s",
    ]


def test_the_diff_shows_only_what_changes() -> None:
    [before] = read(HTTP_CHECK)
    after = parse_stream(HTTP_CHECK.read_text().replace("timeout: 10m", "timeout: 1m"), "x")[0]
    diff = spec_diff(before.spec, after.spec, "kuberhealthy/http")
    assert "-  timeout: 5m\n+  timeout: 1m\n" in diff and diff.count("\n-") == 1
    assert diff.startswith("--- kuberhealthy/http (current)\n+++ kuberhealthy/http (applied)\n")
    assert spec_diff(before.spec, before.spec, "x") == ""


def test_yaml_is_read_as_kubernetes_reads_it() -> None:
    text = """
apiVersion: comcast.github.io/v1
kind: KuberhealthyCheck
metadata: {name: a}
spec:
  podSpec: {containers: [{name: a, image: x, env: [{name: SINCE, value: 2024-01-01}]}]}
"""
    [document] = parse_stream(text, "f.yaml")
    assert document.spec.pod_spec["containers"][0]["env"][0]["value"] == "2024-01-01"


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ("spec: {podSpec: {x: !!binary aGk=}}", "spec.podSpec.x", "a bytes has no JSON form"),
        ("spec: {podSpec: {x: .nan}}", "spec.podSpec.x", "must be a finite number"),
        ("spec: {podSpec: {1: a}}", "spec.podSpec", "key 1 must be a string"),
    ],
)
def test_values_json_cannot_hold_are_refused(body: str, field: str, message: str) -> None:
    text = f"apiVersion: comcast.github.io/v1\nkind: KuberhealthyCheck\nmetadata: {{name: a}}\n{body}\n"
    [document] = parse_stream(text, "f.yaml")
    assert document.error == ManifestError(field, message)


def test_alias_bombs_and_deep_nesting_are_refused() -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(8)
    )
    [document] = parse_stream(bomb, "bomb.yaml")
    assert document.error is not None and "more than 100000 values" in document.error.message
    [deep] = parse_stream("a: " + "[" * 5000 + "]" * 5000, "deep.yaml")
    assert deep.error is not None and "nests deeper" in deep.error.message
    [nested] = parse_stream("a: " + "[" * 80 + "]" * 80, "nested.yaml")
    assert nested.error is not None and "nests deeper than 64 levels" in nested.error.message


def test_a_list_from_kubectl_is_read_item_by_item_with_server_fields_noted() -> None:
    text = """
apiVersion: v1
kind: List
items:
- apiVersion: comcast.github.io/v1
  kind: KuberhealthyCheck
  metadata:
    name: http
    namespace: kuberhealthy
    uid: 4c1b
    resourceVersion: "123"
    creationTimestamp: "2024-01-01T00:00:00Z"
  spec:
    runInterval: 5m
    timeout: 1m
    podSpec: {containers: [{name: a, image: x}]}
  status: {}
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: c}
"""
    check, config_map = parse_stream(text, "kubectl.yaml")
    assert str(check.ref) == "kubectl.yaml[0].items[0]" and check.spec is not None
    assert check.notes == [
        "status ignored: Patrol keeps its own",
        "metadata.uid ignored: set by Kubernetes",
        "metadata.resourceVersion ignored: set by Kubernetes",
        "metadata.creationTimestamp ignored: set by Kubernetes",
    ]
    assert str(config_map.ref) == "kubectl.yaml[0].items[1]" and config_map.skipped


@settings(max_examples=300, derandomize=True, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "apiVersion: comcast.github.io/v1\n",
                "kind: KuberhealthyCheck\n",
                "kind: HealthCheck\n",
                "apiVersion: kuberhealthy.github.io/v2\n",
                "metadata: {name: a}\n",
                "spec: {podSpec: {containers: [{name: a, image: x}]}}\n",
                "spec:\n  timeout: !!float abc\n",
                "spec: {runInterval: 1e400}\n",
                "spec: {extraLabels: [1]}\n",
                "x: &a [*a]\n",
                "---\n",
                "? [a, b]\n: c\n",
                "{",
                "- ",
                "\t",
                "!!binary x\n",
                "2024-01-01\n",
            ]
        )
        | st.text(max_size=40),
        max_size=12,
    )
)
def test_any_text_gives_documents_or_errors_never_an_exception(parts: list[str]) -> None:
    for document in parse_stream("".join(parts), "fuzz.yaml"):
        assert document.spec is not None or document.error is not None or document.skipped


@pytest.mark.parametrize("manifest_format", list(ManifestFormat))
def test_metadata_labels_are_the_checks_labels_and_survive_an_export(
    manifest_format: ManifestFormat,
) -> None:
    text = """
apiVersion: comcast.github.io/v1
kind: KuberhealthyCheck
metadata: {name: a, namespace: ns, labels: {team: sre, tier: "1"}}
spec: {runInterval: 90s, timeout: 1m, podSpec: {containers: [{name: a, image: x}]}}
"""
    [document] = parse_stream(text, "f.yaml")
    assert document.spec is not None and document.spec.labels == {"team": "sre", "tier": "1"}
    [again] = parse_stream(dump_manifests([document.spec], manifest_format), "export.yaml")
    assert again.spec == document.spec
    assert "runInterval: 1m30s" in dump_manifests([document.spec], manifest_format)
