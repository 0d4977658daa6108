"""Which checks and clusters a rule selects or a silence covers. An empty field matches anything."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field

from app.domain.alerting.inputs import AlertSubject


@dataclass(frozen=True, slots=True)
class SubjectMatcher:
    check_ids: frozenset[uuid.UUID] = frozenset()
    namespaces: frozenset[str] = frozenset()
    labels: Mapping[str, str] = field(default_factory=dict)
    cluster_ids: frozenset[uuid.UUID] = frozenset()
    cluster_labels: Mapping[str, str] = field(default_factory=dict)

    @property
    def constrains_cluster(self) -> bool:
        return bool(self.cluster_ids or self.cluster_labels)


def matches(matcher: SubjectMatcher, subject: AlertSubject) -> bool:
    """True when every non-empty field of the matcher agrees with the subject.

    A subject without a cluster (a per-check alert over several clusters) is not matched by a
    matcher that names clusters: a silence for one cluster must not hush the whole check.
    """
    check = subject.check
    if matcher.check_ids and check.id not in matcher.check_ids:
        return False
    if matcher.namespaces and check.namespace not in matcher.namespaces:
        return False
    if not _has_labels(check.labels, matcher.labels):
        return False
    if not matcher.constrains_cluster:
        return True
    cluster = subject.cluster
    if cluster is None:
        return False
    if matcher.cluster_ids and cluster.id not in matcher.cluster_ids:
        return False
    return _has_labels(cluster.labels, matcher.cluster_labels)


def _has_labels(labels: Mapping[str, str], wanted: Mapping[str, str]) -> bool:
    return all(labels.get(key) == value for key, value in wanted.items())
