"""Pure domain validation behind the API (no database)."""

from __future__ import annotations

from typing import Any

import pytest

from app.domain.names import validate_dns_label, validate_labels
from app.domain.pod_spec import validate_pod_spec
from app.errors import InvalidInput

VALID = {
    "containers": [
        {
            "name": "check",
            "image": "ghcr.io/patrol/http:1",
            "env": [{"name": "TARGET", "value": "https://example.com"}],
            "resources": {"limits": {"cpu": "100m", "memory": "64Mi"}},
        }
    ],
    "restartPolicy": "Never",
    "activeDeadlineSeconds": 300,
    "serviceAccountName": "patrol-checker",
}


def test_accepts_a_realistic_pod_spec_unchanged() -> None:
    assert validate_pod_spec(VALID) == VALID


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ([], "podSpec: must be an object (a core/v1 PodSpec)"),
        ({"containers": "x"}, "podSpec.containers: at least one container is required"),
        ({"containers": ["x"]}, "podSpec.containers[0]: must be an object"),
        ({"containers": [{"name": "c", "image": " "}]}, "podSpec.containers[0].image: required"),
        (
            {"containers": [{"name": "c", "image": "i"}], "activeDeadlineSeconds": "300"},
            "podSpec.activeDeadlineSeconds: Input should be a valid integer",
        ),
        (
            {"containers": [{"name": "c", "image": "i", "env": [{"value": "v"}]}]},
            "podSpec.containers[0].env[0].name: Field required",
        ),
    ],
)
def test_rejects_a_malformed_pod_spec_naming_the_field_path(spec: Any, message: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        validate_pod_spec(spec)
    assert raised.value.message == message


@pytest.mark.parametrize("name", ["default", "a", "kube-system", "a1-b2"])
def test_accepts_dns_labels(name: str) -> None:
    assert validate_dns_label(name, field="namespace") == name


@pytest.mark.parametrize("name", ["", "-a", "a-", "A", "a_b", "a.b", "x" * 64])
def test_rejects_invalid_dns_labels(name: str) -> None:
    with pytest.raises(InvalidInput):
        validate_dns_label(name, field="namespace")


def test_accepts_prefixed_label_keys_and_empty_values() -> None:
    labels = {"app.kubernetes.io/name": "patrol", "tier": ""}
    assert validate_labels(labels, field="labels") == labels


@pytest.mark.parametrize(
    "labels", [{"a/b/c": "v"}, {"Bad_Prefix/x": "v"}, {"x" * 64: "v"}, {"k": "v" * 64}, {"k": "-v"}]
)
def test_rejects_invalid_labels(labels: dict[str, str]) -> None:
    with pytest.raises(InvalidInput):
        validate_labels(labels, field="labels")


def test_a_pod_spec_nested_deeper_than_64_levels_is_refused() -> None:
    deep: Any = "x"
    for _ in range(3_000):
        deep = {"x": deep}
    with pytest.raises(InvalidInput, match=r"^podSpec: nests deeper than 64 levels$"):
        validate_pod_spec({"containers": [{"name": "c", "image": "i", "env": deep}]})


def test_a_pod_spec_over_256_kib_is_refused_before_the_model_sees_it() -> None:
    env = [{"name": f"V{n}", "value": "v" * 100} for n in range(3_000)]
    with pytest.raises(InvalidInput, match=r"bytes as JSON; at most 262144 \(256 KiB\)$"):
        validate_pod_spec({"containers": [{"name": "c", "image": "i", "env": env}]})
