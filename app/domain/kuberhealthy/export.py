"""Writing checks back as Kuberhealthy manifests (v2 or v3), so that reading them again gives the
same checks."""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

import yaml

from app.domain.duration import format_duration
from app.domain.kuberhealthy.manifests import V2_API_VERSION, V3_API_VERSION, ManifestKind
from app.domain.kuberhealthy.spec import CheckSpec


class ManifestFormat(enum.StrEnum):
    V2 = "v2"
    V3 = "v3"


_ZERO_UNITS = re.compile(r"(?<=[hm])0m(?=0s$)|(?<=[hm])0s$")


def compact_duration(value: timedelta) -> str:
    """As a person writes a Go duration: `2m`, `1h30m`, `1h`, `90ms` (Go's own `2m0s` also parses)."""
    text = format_duration(value)
    while (shorter := _ZERO_UNITS.sub("", text)) != text:
        text = shorter
    return text


def to_manifest(spec: CheckSpec, manifest_format: ManifestFormat) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": spec.name, "namespace": spec.namespace}
    if spec.labels:
        metadata["labels"] = dict(sorted(spec.labels.items()))
    body: dict[str, Any] = {}
    if manifest_format is ManifestFormat.V2:
        kind = ManifestKind.KUBERHEALTHY_JOB if spec.one_shot else ManifestKind.KUBERHEALTHY_CHECK
        if spec.run_interval is not None:
            body["runInterval"] = compact_duration(spec.run_interval)
        body["timeout"] = compact_duration(spec.timeout)
        _extras(body, spec)
        body["podSpec"] = spec.pod_spec
        return {
            "apiVersion": V2_API_VERSION,
            "kind": kind.value,
            "metadata": metadata,
            "spec": body,
        }
    if spec.run_interval is None:
        body["singleRunOnly"] = True
    else:
        body["runInterval"] = compact_duration(spec.run_interval)
    body["timeout"] = compact_duration(spec.timeout)
    _extras(body, spec)
    body["podSpec"] = {"spec": spec.pod_spec}
    return {
        "apiVersion": V3_API_VERSION,
        "kind": ManifestKind.HEALTH_CHECK.value,
        "metadata": metadata,
        "spec": body,
    }


def dump_manifests(specs: Iterable[CheckSpec], manifest_format: ManifestFormat) -> str:
    """One YAML stream, checks in namespace/name order."""
    ordered = sorted(specs, key=lambda spec: (spec.namespace, spec.name))
    return yaml.dump_all(
        (to_manifest(spec, manifest_format) for spec in ordered),
        Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper),
        sort_keys=False,
        default_flow_style=False,
        explicit_start=True,
    )


def _extras(body: dict[str, Any], spec: CheckSpec) -> None:
    if spec.extra_labels:
        body["extraLabels"] = dict(sorted(spec.extra_labels.items()))
    if spec.extra_annotations:
        body["extraAnnotations"] = dict(sorted(spec.extra_annotations.items()))
