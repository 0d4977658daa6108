from __future__ import annotations

import pytest

from app.domain.cluster_selector import parse_cluster_selector
from app.errors import InvalidInput

PROD_EU = {"env": "prod", "region": "eu"}


@pytest.mark.parametrize(
    ("selector", "labels", "matches"),
    [
        ("env=prod", PROD_EU, True),
        ("env==prod", PROD_EU, True),
        ("env=staging", PROD_EU, False),
        ("env=prod,region=us", PROD_EU, False),
        ("env!=staging", PROD_EU, True),
        ("tier!=edge", PROD_EU, True),  # lacking the key matches, as in Kubernetes
        ("region in (eu, us)", PROD_EU, True),
        ("region notin (eu)", PROD_EU, False),
        ("tier notin (edge)", PROD_EU, True),
        ("region", PROD_EU, True),
        ("!region", PROD_EU, False),
        ("!canary", PROD_EU, True),
        ("env=prod, region in (eu,us), !canary", PROD_EU, True),
        ("patrol.dev/local=true", {"patrol.dev/local": "true"}, True),
    ],
)
def test_matches_cluster_labels_as_kubernetes_selectors_do(
    selector: str, labels: dict[str, str], matches: bool
) -> None:
    assert parse_cluster_selector(selector).matches(labels) is matches


@pytest.mark.parametrize("selector", ["", " , ", "env=(x", "region in ()", "env=prod,,=x", "a b"])
def test_refuses_what_does_not_parse_naming_the_field(selector: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_cluster_selector(selector)
    assert raised.value.field == "clusterSelector"


def test_refuses_a_selector_too_long_to_be_meant() -> None:
    with pytest.raises(InvalidInput, match="at most 1024"):
        parse_cluster_selector("a=b," * 300)
