"""Render deploy/kustomize with the pinned kubectl, and read what comes out."""

from __future__ import annotations

import base64
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tests.deploy.paths import DEPLOY

KUSTOMIZE = DEPLOY / "kustomize"
KUBERNETES_VERSION = "1.37.0"

Manifest = dict[str, Any]


def kustomization_directories() -> list[str]:
    """Every directory holding a kustomization, relative to deploy/kustomize."""
    return sorted(
        str(path.parent.relative_to(KUSTOMIZE)) for path in KUSTOMIZE.rglob("kustomization.yaml")
    )


def operator_copy(destination: Path) -> Path:
    """deploy/kustomize as an operator prepares it: every `X.env.example` copied to the `X.env`
    that overlays read and that is never committed."""
    copy = destination / "kustomize"
    shutil.copytree(KUSTOMIZE, copy)
    for example in copy.rglob("*.env.example"):
        made = example.with_name(example.name.removesuffix(".example"))
        if not made.exists():
            made.write_text(example.read_text())
    return copy


def render(kubectl: Path, directory: Path) -> list[Manifest]:
    built = subprocess.run(
        [str(kubectl), "kustomize", str(directory)], capture_output=True, text=True
    )
    if built.returncode != 0:
        raise AssertionError(f"kubectl kustomize {directory} failed: {built.stderr.strip()}")
    return [document for document in yaml.safe_load_all(built.stdout) if document]


@dataclass(frozen=True)
class Rendered:
    """One kustomization's output."""

    directory: str
    objects: list[Manifest]

    def of_kind(self, kind: str) -> list[Manifest]:
        return [item for item in self.objects if item["kind"] == kind]

    def named(self, kind: str, name: str) -> Manifest:
        matches = [item for item in self.of_kind(kind) if item["metadata"]["name"] == name]
        assert len(matches) == 1, f"{self.directory}: {len(matches)} {kind} named {name}"
        return matches[0]

    def generated(self, kind: str, prefix: str) -> Manifest:
        """A generated ConfigMap or Secret, whose name carries a content hash."""
        matches = [
            item
            for item in self.of_kind(kind)
            if item["metadata"]["name"] == prefix
            or item["metadata"]["name"].rsplit("-", 1)[0] == prefix
        ]
        assert len(matches) == 1, f"{self.directory}: {len(matches)} {kind} named {prefix}-*"
        return matches[0]


def pod_templates(item: Manifest) -> Iterator[Manifest]:
    """The pod template a workload runs (metadata and spec), if it runs any."""
    spec = item.get("spec") or {}
    if item["kind"] in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"):
        yield spec["template"]
    elif item["kind"] == "CronJob":
        yield spec["jobTemplate"]["spec"]["template"]
    elif item["kind"] == "Pod":
        yield item


def containers(template: Manifest) -> list[Manifest]:
    spec = template["spec"]
    return [*spec.get("initContainers", []), *spec.get("containers", [])]


def workloads(objects: list[Manifest]) -> Iterator[tuple[Manifest, Manifest]]:
    for item in objects:
        for template in pod_templates(item):
            yield item, template


def string_data(item: Manifest) -> dict[str, str]:
    """A ConfigMap's or Secret's keys and values as text (Secret data is base64)."""
    values = dict(item.get("stringData") or {})
    for key, value in (item.get("data") or {}).items():
        values[key] = base64.b64decode(value).decode() if item["kind"] == "Secret" else value
    return values
