"""GraphQL inputs and their translation into service drafts, changes and filters."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, TypeVar

import strawberry
from strawberry.scalars import JSON

import app.api.enums  # noqa: F401  (registers the enums before they are used)
from app.domain.check_status import CheckHealth
from app.domain.names import validate_labels
from app.errors import InvalidInput
from app.models import ConnectionKind, FailureReason, RunStatus, RunTrigger
from app.services.checks import CheckChanges, CheckDraft
from app.services.clusters import ClusterChanges, ClusterDraft
from app.services.listing import CheckFilter, RunFilter
from app.services.live_updates import CheckChangeFilter, StatusChangeFilter
from app.services.patch import UNCHANGED, Unchanged

T = TypeVar("T")


def parse_id(value: str, *, field: str = "id") -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        raise InvalidInput(f"{field}: {value!r} is not a valid id", field=field) from None


def _parse_ids(values: list[strawberry.ID], *, field: str) -> list[uuid.UUID]:
    return [parse_id(value, field=field) for value in values]


def _object(value: object, *, field: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidInput(f"{field}: must be an object", field=field)
    return value


def _changed(value: T | None, *, field: str) -> T | Unchanged:
    """A change to a non-nullable attribute: omitted keeps it, null is refused."""
    if value is strawberry.UNSET:
        return UNCHANGED
    if value is None:
        raise InvalidInput(f"{field}: cannot be null", field=field)
    return value


def _changed_nullable(value: T | None) -> T | Unchanged | None:
    return UNCHANGED if value is strawberry.UNSET else value


@strawberry.input
class CreateClusterInput:
    name: str
    connection_kind: ConnectionKind
    description: str = ""
    labels: JSON = strawberry.field(default_factory=dict)
    kubeconfig: str | None = strawberry.field(default=None, description="Stored, never returned.")
    context: str | None = None
    api_url: str | None = None
    token: str | None = strawberry.field(default=None, description="Stored, never returned.")
    ca_cert: str | None = strawberry.field(default=None, description="Stored, never returned.")
    insecure_skip_tls_verify: bool = False
    default_namespace: str = "default"
    report_url: str | None = strawberry.field(
        default=None,
        description="Where this cluster's checker pods report; null: Patrol's public URL.",
    )

    def to_draft(self) -> ClusterDraft:
        return ClusterDraft(
            name=self.name,
            connection_kind=self.connection_kind,
            description=self.description,
            labels=_object(self.labels, field="labels"),
            kubeconfig=self.kubeconfig,
            kube_context=self.context,
            api_url=self.api_url,
            token=self.token,
            ca_cert=self.ca_cert,
            insecure_skip_tls_verify=self.insecure_skip_tls_verify,
            default_namespace=self.default_namespace,
            report_url=self.report_url,
        )


@strawberry.input(description="Omitted fields keep their value; null clears a nullable one.")
class UpdateClusterInput:
    id: strawberry.ID
    name: str | None = strawberry.UNSET
    connection_kind: ConnectionKind | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    labels: JSON | None = strawberry.UNSET
    kubeconfig: str | None = strawberry.UNSET
    context: str | None = strawberry.UNSET
    api_url: str | None = strawberry.UNSET
    token: str | None = strawberry.UNSET
    ca_cert: str | None = strawberry.UNSET
    insecure_skip_tls_verify: bool | None = strawberry.UNSET
    default_namespace: str | None = strawberry.UNSET
    report_url: str | None = strawberry.UNSET

    def to_changes(self) -> ClusterChanges:
        labels = _changed(self.labels, field="labels")
        return ClusterChanges(
            name=_changed(self.name, field="name"),
            connection_kind=_changed(self.connection_kind, field="connectionKind"),
            description=_changed(self.description, field="description"),
            labels=labels if labels is UNCHANGED else _object(labels, field="labels"),
            kubeconfig=_changed_nullable(self.kubeconfig),
            kube_context=_changed_nullable(self.context),
            api_url=_changed_nullable(self.api_url),
            token=_changed_nullable(self.token),
            ca_cert=_changed_nullable(self.ca_cert),
            insecure_skip_tls_verify=_changed(
                self.insecure_skip_tls_verify, field="insecureSkipTlsVerify"
            ),
            default_namespace=_changed(self.default_namespace, field="defaultNamespace"),
            report_url=_changed_nullable(self.report_url),
        )


@strawberry.input
class CreateCheckInput:
    name: str
    namespace: str
    pod_spec: JSON = strawberry.field(description="A core/v1 PodSpec, camelCase as in YAML.")
    timeout: str = strawberry.field(description="Go duration, e.g. 30s, 2m, 1h30m.")
    run_interval: str | None = strawberry.field(
        default=None, description="Go duration; null for on-demand only."
    )
    description: str = ""
    labels: JSON = strawberry.field(default_factory=dict)
    extra_labels: JSON = strawberry.field(default_factory=dict)
    extra_annotations: JSON = strawberry.field(default_factory=dict)
    enabled: bool = True
    cluster_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    cluster_selector: str | None = strawberry.field(
        default=None,
        description="A label selector over cluster labels (env=prod); the check also runs in "
        "every cluster it matches, now or registered later.",
    )

    def to_draft(self) -> CheckDraft:
        return CheckDraft(
            name=self.name,
            namespace=self.namespace,
            pod_spec=_object(self.pod_spec, field="podSpec"),
            timeout=self.timeout,
            run_interval=self.run_interval,
            description=self.description,
            labels=_object(self.labels, field="labels"),
            extra_labels=_object(self.extra_labels, field="extraLabels"),
            extra_annotations=_object(self.extra_annotations, field="extraAnnotations"),
            enabled=self.enabled,
            cluster_ids=_parse_ids(self.cluster_ids, field="clusterIds"),
            cluster_selector=self.cluster_selector,
        )


@strawberry.input(description="Omitted fields keep their value; runInterval: null = on-demand.")
class UpdateCheckInput:
    id: strawberry.ID
    expected_version: int | None = strawberry.field(
        default=None, description="Refuse the edit (CONFLICT) unless the check is at this version."
    )
    name: str | None = strawberry.UNSET
    namespace: str | None = strawberry.UNSET
    pod_spec: JSON | None = strawberry.UNSET
    timeout: str | None = strawberry.UNSET
    run_interval: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    labels: JSON | None = strawberry.UNSET
    extra_labels: JSON | None = strawberry.UNSET
    extra_annotations: JSON | None = strawberry.UNSET
    enabled: bool | None = strawberry.UNSET
    cluster_ids: list[strawberry.ID] | None = strawberry.UNSET
    cluster_selector: str | None = strawberry.UNSET

    def to_changes(self) -> CheckChanges:
        cluster_ids = _changed(self.cluster_ids, field="clusterIds")
        return CheckChanges(
            expected_version=self.expected_version,
            name=_changed(self.name, field="name"),
            namespace=_changed(self.namespace, field="namespace"),
            pod_spec=_changed_object(self.pod_spec, field="podSpec"),
            timeout=_changed(self.timeout, field="timeout"),
            run_interval=_changed_nullable(self.run_interval),
            description=_changed(self.description, field="description"),
            labels=_changed_object(self.labels, field="labels"),
            extra_labels=_changed_object(self.extra_labels, field="extraLabels"),
            extra_annotations=_changed_object(self.extra_annotations, field="extraAnnotations"),
            enabled=_changed(self.enabled, field="enabled"),
            cluster_ids=(
                cluster_ids
                if cluster_ids is UNCHANGED
                else _parse_ids(cluster_ids, field="clusterIds")
            ),
            cluster_selector=_changed_nullable(self.cluster_selector),
        )


def _changed_object(value: object | None, *, field: str) -> dict[str, Any] | Unchanged:
    changed = _changed(value, field=field)
    return changed if changed is UNCHANGED else _object(changed, field=field)


@strawberry.input
class CheckFilterInput:
    cluster_id: strawberry.ID | None = None
    cluster_name: str | None = None
    namespace: str | None = None
    labels: JSON | None = strawberry.field(
        default=None, description="Every key=value pair must match the check's labels."
    )
    enabled: bool | None = None
    search: str | None = strawberry.field(
        default=None, description="Case-insensitive substring of the check name."
    )

    def to_filter(self) -> CheckFilter:
        labels = (
            {}
            if self.labels is None
            else validate_labels(_object(self.labels, field="filter.labels"), field="filter.labels")
        )
        return CheckFilter(
            cluster_id=(
                None
                if self.cluster_id is None
                else parse_id(self.cluster_id, field="filter.clusterId")
            ),
            cluster_name=self.cluster_name,
            namespace=self.namespace,
            labels=labels,
            enabled=self.enabled,
            name_contains=self.search,
        )


@strawberry.input
class RunFilterInput:
    check_id: strawberry.ID | None = None
    cluster_id: strawberry.ID | None = None
    status: list[RunStatus] | None = None
    trigger: RunTrigger | None = None
    failure_reason: list[FailureReason] | None = strawberry.field(
        default=None, description="Runs that did not succeed for any of these reasons."
    )
    since: datetime | None = strawberry.field(
        default=None, description="scheduledAt at or after this instant."
    )
    until: datetime | None = strawberry.field(
        default=None, description="scheduledAt strictly before this instant."
    )

    def to_filter(self) -> RunFilter:
        for name, instant in (("since", self.since), ("until", self.until)):
            if instant is not None and instant.tzinfo is None:
                raise InvalidInput(
                    f"filter.{name}: include a UTC offset, e.g. 2024-01-01T00:00:00Z",
                    field=f"filter.{name}",
                )
        return RunFilter(
            check_id=None
            if self.check_id is None
            else parse_id(self.check_id, field="filter.checkId"),
            cluster_id=(
                None
                if self.cluster_id is None
                else parse_id(self.cluster_id, field="filter.clusterId")
            ),
            statuses=list(self.status or []),
            trigger=self.trigger,
            failure_reasons=list(self.failure_reason or []),
            since=self.since,
            until=self.until,
        )


@strawberry.input
class CheckStatusFilterInput:
    check_id: strawberry.ID | None = None
    cluster_id: strawberry.ID | None = None
    status: list[CheckHealth] | None = strawberry.field(
        default=None, description="The status flipped to: any of these."
    )

    def to_filter(self) -> StatusChangeFilter:
        return StatusChangeFilter(
            check_id=None
            if self.check_id is None
            else parse_id(self.check_id, field="filter.checkId"),
            cluster_id=(
                None
                if self.cluster_id is None
                else parse_id(self.cluster_id, field="filter.clusterId")
            ),
            statuses=list(self.status or []),
        )


@strawberry.input
class CheckChangeFilterInput:
    check_id: strawberry.ID | None = None
    namespace: str | None = None

    def to_filter(self) -> CheckChangeFilter:
        return CheckChangeFilter(
            check_id=None
            if self.check_id is None
            else parse_id(self.check_id, field="filter.checkId"),
            namespace=self.namespace,
        )
