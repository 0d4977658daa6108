"""Which checks and clusters a rule selects or a silence covers, as GraphQL spells it."""

from __future__ import annotations

import uuid

import strawberry
from strawberry.scalars import JSON

from app.api.inputs import parse_id
from app.domain.alerting.matchers import SubjectMatcher
from app.domain.names import validate_dns_label, validate_labels
from app.errors import InvalidInput

# Past a hundred ids a selector by labels or namespace says the same more plainly.
MAX_SELECTOR_ITEMS = 100


@strawberry.input(
    name="SubjectMatcherInput",
    description="Which checks (and clusters): every non-empty field must match; empty matches any.",
)
class SubjectMatcherInput:
    check_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    namespaces: list[str] = strawberry.field(default_factory=list)
    labels: JSON = strawberry.field(
        default_factory=dict, description="Every key=value pair must be among the check's labels."
    )
    cluster_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    cluster_labels: JSON = strawberry.field(
        default_factory=dict,
        description="Every key=value pair must be among the cluster's labels.",
    )

    def to_matcher(self, *, field: str) -> SubjectMatcher:
        return SubjectMatcher(
            check_ids=_ids(self.check_ids, field=f"{field}.checkIds"),
            namespaces=frozenset(
                validate_dns_label(namespace, field=f"{field}.namespaces")
                for namespace in _capped(self.namespaces, field=f"{field}.namespaces")
            ),
            labels=validate_labels(self.labels, field=f"{field}.labels"),
            cluster_ids=_ids(self.cluster_ids, field=f"{field}.clusterIds"),
            cluster_labels=validate_labels(self.cluster_labels, field=f"{field}.clusterLabels"),
        )


@strawberry.type(name="SubjectMatcher", description="Which checks and clusters; empty matches any.")
class SubjectMatcherType:
    check_ids: list[strawberry.ID]
    namespaces: list[str]
    labels: JSON
    cluster_ids: list[strawberry.ID]
    cluster_labels: JSON

    @classmethod
    def from_domain(cls, matcher: SubjectMatcher) -> SubjectMatcherType:
        return cls(
            check_ids=[strawberry.ID(str(value)) for value in sorted(matcher.check_ids)],
            namespaces=sorted(matcher.namespaces),
            labels=JSON(dict(matcher.labels)),
            cluster_ids=[strawberry.ID(str(value)) for value in sorted(matcher.cluster_ids)],
            cluster_labels=JSON(dict(matcher.cluster_labels)),
        )


def _capped(values: list[str], *, field: str) -> list[str]:
    if len(values) > MAX_SELECTOR_ITEMS:
        raise InvalidInput(
            f"{field}: at most {MAX_SELECTOR_ITEMS} entries, got {len(values)}", field=field
        )
    return values


def _ids(values: list[strawberry.ID], *, field: str) -> frozenset[uuid.UUID]:
    return frozenset(parse_id(value, field=field) for value in _capped(list(values), field=field))
