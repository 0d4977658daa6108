"""Reading Kuberhealthy check manifests: v2 `KuberhealthyCheck` and `KuberhealthyJob`
(comcast.github.io/v1) and v3 `HealthCheck` (kuberhealthy.github.io/v2), from multi-document YAML.

Every field they carry is mapped; what Patrol has no use for is named in a note, and documents of
other kinds are skipped with a note. Errors name the field path in the manifest."""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import yaml

from app.domain.duration import parse_duration
from app.domain.json_nesting import MAX_JSON_DEPTH
from app.domain.kuberhealthy.spec import CheckSpec
from app.errors import InvalidInput

V2_API_VERSION = "comcast.github.io/v1"
V3_API_VERSION = "kuberhealthy.github.io/v2"
DEFAULT_NAMESPACE = "default"
# Kuberhealthy's own defaults (KH_DEFAULT_RUN_INTERVAL, KH_DEFAULT_CHECK_TIMEOUT).
V2_DEFAULT_RUN_INTERVAL = timedelta(minutes=10)
V2_DEFAULT_TIMEOUT = timedelta(minutes=5)
V3_DEFAULT_RUN_INTERVAL = timedelta(minutes=10)
V3_DEFAULT_TIMEOUT = timedelta(seconds=30)


class ManifestKind(enum.StrEnum):
    KUBERHEALTHY_CHECK = "KuberhealthyCheck"
    KUBERHEALTHY_JOB = "KuberhealthyJob"
    HEALTH_CHECK = "HealthCheck"


_API_VERSIONS = {
    ManifestKind.KUBERHEALTHY_CHECK: V2_API_VERSION,
    ManifestKind.KUBERHEALTHY_JOB: V2_API_VERSION,
    ManifestKind.HEALTH_CHECK: V3_API_VERSION,
}
_SPEC_FIELDS = {
    ManifestKind.KUBERHEALTHY_CHECK: {
        "runInterval",
        "timeout",
        "podSpec",
        "extraLabels",
        "extraAnnotations",
    },
    ManifestKind.KUBERHEALTHY_JOB: {"timeout", "podSpec", "extraLabels", "extraAnnotations"},
    ManifestKind.HEALTH_CHECK: {
        "runInterval",
        "timeout",
        "podSpec",
        "extraLabels",
        "extraAnnotations",
        "singleRunOnly",
    },
}
# What Kubernetes adds to an object it stores; Patrol keeps its own bookkeeping.
_SERVER_METADATA = {
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "managedFields",
    "selfLink",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "finalizers",
    "ownerReferences",
}


# At most this many values in one document (a pod spec is a few hundred): YAML aliases can make
# a small text stand for an exponentially large document.
MAX_DOCUMENT_VALUES = 100_000
MAX_STREAM_VALUES = 1_000_000


_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when built with it


class _KubernetesLoader(_BaseLoader):  # type: ignore[valid-type,misc]
    """YAML as Kubernetes reads it: JSON-compatible values, so `2024-01-01` stays a string."""


_KubernetesLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass(frozen=True, slots=True)
class DocumentRef:
    """Where a document is: its file and its 0-based position among the file's documents."""

    file: str
    index: int
    # The position among a List's items (`kubectl get ... -o yaml` writes one List).
    item: int | None = None

    def __str__(self) -> str:
        inside = "" if self.item is None else f".items[{self.item}]"
        return f"{self.file}[{self.index}]{inside}"


@dataclass(frozen=True, slots=True)
class ManifestError:
    field: str
    message: str


@dataclass(frozen=True, kw_only=True)
class ParsedDocument:
    ref: DocumentRef
    kind: str | None = None
    spec: CheckSpec | None = None
    error: ManifestError | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def skipped(self) -> bool:
        return self.spec is None and self.error is None


class _Invalid(Exception):
    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.error = ManifestError(path, message)


def parse_stream(text: str, file: str) -> list[ParsedDocument]:
    """Every document of a YAML stream, in order. A YAML syntax error ends the stream with one
    invalid document at the position where it occurred. Empty documents are left out."""
    parsed: list[ParsedDocument] = []
    budget = [MAX_STREAM_VALUES]
    read = 0
    try:
        for document in yaml.load_all(text, Loader=_KubernetesLoader):
            if _is_list(document):
                parsed.extend(
                    parse_document(item, DocumentRef(file, read, position), budget)
                    for position, item in enumerate(document["items"])
                )
            elif document is not None:
                parsed.append(parse_document(document, DocumentRef(file, read), budget))
            read += 1
    except RecursionError:
        parsed.append(
            ParsedDocument(
                ref=DocumentRef(file, read),
                error=ManifestError("", f"nests deeper than {MAX_JSON_DEPTH} levels"),
            )
        )
    except (ValueError, TypeError) as error:
        # An explicit tag on a value it cannot hold (`!!float abc`, `!!int x`).
        parsed.append(
            ParsedDocument(
                ref=DocumentRef(file, read), error=ManifestError("", f"not valid YAML: {error}")
            )
        )
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error)
        parsed.append(
            ParsedDocument(
                ref=DocumentRef(file, read),
                error=ManifestError("", f"not valid YAML{where}: {problem}"),
            )
        )
    return parsed


def _is_list(document: object) -> bool:
    return (
        isinstance(document, Mapping)
        and isinstance(document.get("kind"), str)
        and document["kind"].endswith("List")
        and isinstance(document.get("items"), list)
    )


def parse_document(
    document: object, ref: DocumentRef, stream_budget: list[int] | None = None
) -> ParsedDocument:
    """One document; `stream_budget` bounds the values read over a whole stream."""
    if not isinstance(document, Mapping):
        return ParsedDocument(
            ref=ref, error=ManifestError("", "a document must be a Kubernetes object (a mapping)")
        )
    remaining = MAX_STREAM_VALUES if stream_budget is None else stream_budget[0]
    budget = [min(MAX_DOCUMENT_VALUES, remaining)]
    try:
        _json_compatible(document, "", depth=0, budget=budget)
    except _Invalid as invalid:
        return ParsedDocument(ref=ref, error=invalid.error)
    finally:
        if stream_budget is not None:
            stream_budget[0] = max(0, remaining - (min(MAX_DOCUMENT_VALUES, remaining) - budget[0]))
    kind = document.get("kind")
    api_version = document.get("apiVersion")
    try:
        manifest_kind = ManifestKind(kind) if isinstance(kind, str) else None
    except ValueError:
        manifest_kind = None
    if manifest_kind is None or api_version != _API_VERSIONS[manifest_kind]:
        return ParsedDocument(
            ref=ref,
            kind=kind if isinstance(kind, str) else None,
            notes=[f"skipped: {api_version}/{kind} is not a Kuberhealthy check"],
        )
    notes: list[str] = []
    try:
        spec = _check_spec(document, manifest_kind, notes)
    except _Invalid as invalid:
        return ParsedDocument(ref=ref, kind=manifest_kind.value, error=invalid.error, notes=notes)
    return ParsedDocument(ref=ref, kind=manifest_kind.value, spec=spec, notes=notes)


def manifest_field(kind: str | None, service_field: str | None) -> str:
    """The manifest's path for a field Patrol's check services name (`podSpec.containers[0]`
    → `spec.podSpec.containers[0]`, or `spec.podSpec.spec.containers[0]` in a v3 HealthCheck)."""
    if not service_field:
        return ""
    head, dot, rest = service_field.partition(".")
    head, bracket, index = head.partition("[")
    pod_spec = "spec.podSpec.spec" if kind == ManifestKind.HEALTH_CHECK else "spec.podSpec"
    mapped = {
        "name": "metadata.name",
        "namespace": "metadata.namespace",
        "labels": "metadata.labels",
        "podSpec": pod_spec,
        "timeout": "spec.timeout",
        "runInterval": "spec.runInterval",
        "extraLabels": "spec.extraLabels",
        "extraAnnotations": "spec.extraAnnotations",
    }.get(head, head)
    return f"{mapped}{bracket}{index}{dot}{rest}"


def _check_spec(document: Mapping[str, Any], kind: ManifestKind, notes: list[str]) -> CheckSpec:
    for key in document:
        if key not in ("apiVersion", "kind", "metadata", "spec"):
            notes.append(
                "status ignored: Patrol keeps its own"
                if key == "status"
                else f"{key} ignored: not part of a check"
            )
    metadata = _mapping(document.get("metadata"), "metadata", required=True)
    name = _string(metadata.get("name"), "metadata.name", required=True)
    namespace = _string(metadata.get("namespace"), "metadata.namespace") or DEFAULT_NAMESPACE
    labels = _string_map(metadata.get("labels"), "metadata.labels")
    for key in metadata:
        if key in ("name", "namespace", "labels"):
            continue
        if key == "annotations":
            notes.append(
                "metadata.annotations ignored: a check has none "
                "(spec.extraAnnotations go on its pods)"
            )
        elif key in _SERVER_METADATA:
            notes.append(f"metadata.{key} ignored: set by Kubernetes")
        else:
            notes.append(f"metadata.{key} ignored")
    spec = _mapping(document.get("spec"), "spec", required=True)
    for key in spec:
        if key not in _SPEC_FIELDS[kind]:
            notes.append(f"spec.{key} ignored: {kind.value} has no such field")
    extra_labels = _string_map(spec.get("extraLabels"), "spec.extraLabels")
    extra_annotations = _string_map(spec.get("extraAnnotations"), "spec.extraAnnotations")
    if kind is ManifestKind.HEALTH_CHECK:
        pod_spec = _v3_pod_spec(spec, extra_labels, extra_annotations, notes)
        default_timeout, run_interval = V3_DEFAULT_TIMEOUT, _v3_run_interval(spec, notes)
    else:
        pod_spec = _mapping(spec.get("podSpec"), "spec.podSpec", required=True)
        default_timeout = V2_DEFAULT_TIMEOUT
        run_interval = (
            None
            if kind is ManifestKind.KUBERHEALTHY_JOB
            else _duration(spec.get("runInterval"), "spec.runInterval", V2_DEFAULT_RUN_INTERVAL)
        )
    timeout = _duration(spec.get("timeout"), "spec.timeout", default_timeout)
    if run_interval is not None and timeout > run_interval:
        # Kuberhealthy accepts it (its own http-check example does it); Patrol ends a run
        # before the next is due, so the run keeps its cadence and gets the whole interval.
        notes.append(
            f"spec.timeout: {spec.get('timeout')} is longer than spec.runInterval "
            f"({spec.get('runInterval')}); the timeout is the run interval instead"
        )
        timeout = run_interval
    return CheckSpec(
        name=name,
        namespace=namespace,
        timeout=timeout,
        run_interval=run_interval,
        pod_spec=_without_container_restart_policies(pod_spec, kind, notes),
        extra_labels=extra_labels,
        extra_annotations=extra_annotations,
        labels=labels,
    )


def _without_container_restart_policies(
    pod_spec: Mapping[str, Any], kind: ManifestKind, notes: list[str]
) -> dict[str, Any]:
    """Kuberhealthy's own examples set `restartPolicy` on a container, which its Kubernetes
    client dropped; an API server today refuses it on anything but an init container."""
    spec = dict(pod_spec)
    containers = spec.get("containers")
    if not isinstance(containers, list):
        return spec
    prefix = "spec.podSpec.spec" if kind is ManifestKind.HEALTH_CHECK else "spec.podSpec"
    cleaned: list[Any] = []
    for index, container in enumerate(containers):
        if isinstance(container, Mapping) and "restartPolicy" in container:
            notes.append(
                f"{prefix}.containers[{index}].restartPolicy ignored: Kubernetes allows it only "
                "on init containers (Kuberhealthy dropped it too)"
            )
            container = {key: value for key, value in container.items() if key != "restartPolicy"}
        cleaned.append(container)
    spec["containers"] = cleaned
    return spec


def _v3_run_interval(spec: Mapping[str, Any], notes: list[str]) -> timedelta | None:
    single = spec.get("singleRunOnly")
    if single is not None and not isinstance(single, bool):
        raise _Invalid("spec.singleRunOnly", "must be true or false")
    if single:
        notes.append(
            "spec.singleRunOnly: run once when created, as a KuberhealthyJob "
            "(Kuberhealthy itself declares this field but ignores it)"
        )
        if spec.get("runInterval") is not None:
            notes.append("spec.runInterval ignored: the check runs once (singleRunOnly)")
        return None
    return _duration(spec.get("runInterval"), "spec.runInterval", V3_DEFAULT_RUN_INTERVAL)


def _v3_pod_spec(
    spec: Mapping[str, Any],
    extra_labels: dict[str, str],
    extra_annotations: dict[str, str],
    notes: list[str],
) -> Mapping[str, Any]:
    """v3 wraps the pod spec as `{metadata: {labels, annotations}, spec}`; the pod's labels and
    annotations join the extra ones (the extra ones win a clash)."""
    wrapper = _mapping(spec.get("podSpec"), "spec.podSpec", required=True)
    metadata = _mapping(wrapper.get("metadata"), "spec.podSpec.metadata")
    for key in wrapper:
        if key not in ("metadata", "spec"):
            notes.append(f"spec.podSpec.{key} ignored: a v3 podSpec holds metadata and spec")
    for key in metadata:
        if key not in ("labels", "annotations"):
            notes.append(f"spec.podSpec.metadata.{key} ignored: only labels and annotations apply")
    for source, target, what in (
        (
            _string_map(metadata.get("labels"), "spec.podSpec.metadata.labels"),
            extra_labels,
            "labels",
        ),
        (
            _string_map(metadata.get("annotations"), "spec.podSpec.metadata.annotations"),
            extra_annotations,
            "annotations",
        ),
    ):
        for key, value in source.items():
            if key in target and target[key] != value:
                notes.append(
                    f"spec.podSpec.metadata.{what}.{key} ignored: spec.extra"
                    f"{what.capitalize()} sets it too"
                )
            target.setdefault(key, value)
    return _mapping(wrapper.get("spec"), "spec.podSpec.spec", required=True)


def _json_compatible(value: object, path: str, *, depth: int, budget: list[int]) -> None:
    """Refuse what JSON (and so the Kubernetes API) cannot hold, too deep or too large a
    document, before anything serializes it."""
    budget[0] -= 1
    if budget[0] < 0:
        raise _Invalid(path, f"more than {MAX_DOCUMENT_VALUES} values in all (YAML aliases?)")
    if depth > MAX_JSON_DEPTH:
        raise _Invalid(path, f"nests deeper than {MAX_JSON_DEPTH} levels")
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise _Invalid(path, f"key {key!r} must be a string")
            _json_compatible(item, f"{path}.{key}" if path else key, depth=depth + 1, budget=budget)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _json_compatible(item, f"{path}[{index}]", depth=depth + 1, budget=budget)
    elif isinstance(value, float) and not math.isfinite(value):
        raise _Invalid(path, "must be a finite number")
    elif value is not None and not isinstance(value, (str, bool, int, float)):
        raise _Invalid(path, f"a {type(value).__name__} has no JSON form")


def _mapping(value: object, path: str, *, required: bool = False) -> Mapping[str, Any]:
    if value is None:
        if required:
            raise _Invalid(path, "required")
        return {}
    if not isinstance(value, Mapping):
        raise _Invalid(path, "must be a mapping")
    return value


def _string(value: object, path: str, *, required: bool = False) -> str:
    if value is None or value == "":
        if required:
            raise _Invalid(path, "required")
        return ""
    if not isinstance(value, str):
        raise _Invalid(path, "must be a string")
    return value


def _string_map(value: object, path: str) -> dict[str, str]:
    mapping = _mapping(value, path)
    result: dict[str, str] = {}
    for key, item in mapping.items():
        if not isinstance(key, str):
            raise _Invalid(f"{path}", f"key {key!r} must be a string")
        if not isinstance(item, str):
            raise _Invalid(f"{path}.{key}", "must be a string (quote it in YAML)")
        result[key] = item
    return result


def _duration(value: object, path: str, default: timedelta) -> timedelta:
    if value is None or value == "":
        return default
    if not isinstance(value, str):
        raise _Invalid(path, "must be a Go duration string such as 30s, 2m or 1h30m")
    try:
        return parse_duration(value, field=path)
    except InvalidInput as error:
        raise _Invalid(path, error.message) from None
