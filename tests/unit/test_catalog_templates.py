"""The catalog itself: every template is consistent, and its defaults make a valid pod spec."""

from __future__ import annotations

import pytest

from app.domain.catalog import CATALOG, CheckTemplate, TemplateCategory, find_template
from app.domain.catalog.pod_spec import template_pod_spec
from app.domain.catalog.values import normalized_value, resolve_settings
from app.domain.duration import parse_duration
from app.domain.pod_spec import validate_pod_spec
from app.errors import InvalidInput
from app.services.local_cluster import KUBERHEALTHY_IMAGE_EQUIVALENTS
from tests.fixtures.catalog import required_values

BY_ID = pytest.mark.parametrize("template", CATALOG, ids=[t.id for t in CATALOG])


def test_template_ids_and_setting_names_are_unique() -> None:
    assert len({template.id for template in CATALOG}) == len(CATALOG)
    for template in CATALOG:
        names = [setting.name for setting in template.settings]
        assert len(set(names)) == len(names), template.id


def test_the_catalog_holds_patrols_checkers_and_kuberhealthys_images() -> None:
    patrol = {t.id for t in CATALOG if t.category is TemplateCategory.PATROL}
    images = {t.image.split(":")[0] for t in CATALOG if t.category is TemplateCategory.KUBERHEALTHY}
    assert patrol == {"patrol-http", "patrol-tcp", "patrol-dns", "patrol-tls"}
    assert images == {
        f"kuberhealthy/{name}"
        for name in (
            "http-check",
            "http-content-check",
            "network-connection-check",
            "ssl-expiry-check",
            "dns-resolution-check",
            "deployment-check",
            "daemonset-check",
            "pod-restarts-check",
            "pod-status-check",
            "resource-quota-check",
            "test-check",
        )
    }


@BY_ID
def test_defaults_are_valid_values_of_their_kind(template: CheckTemplate) -> None:
    for setting in template.settings:
        if setting.default is not None:
            assert normalized_value(setting, setting.default) == setting.default, setting.name
        if setting.choices and setting.default is not None:
            assert setting.default in setting.choices


@BY_ID
def test_default_settings_make_a_valid_pod_spec(template: CheckTemplate) -> None:
    spec = template_pod_spec(template, resolve_settings(template, required_values(template)))
    assert validate_pod_spec(spec) == spec
    (container,) = spec["containers"]
    assert container["image"] == template.image


@BY_ID
def test_the_image_is_pinned_and_the_timeout_fits_the_interval(template: CheckTemplate) -> None:
    name, _, tag = template.image.rpartition(":")
    assert name and tag and tag != "latest"
    assert parse_duration(template.timeout) <= parse_duration(template.run_interval)


@BY_ID
def test_runs_on_the_local_cluster_exactly_when_it_has_a_command_or_a_mapped_image(
    template: CheckTemplate,
) -> None:
    mapped = any(template.image.startswith(image) for image in KUBERHEALTHY_IMAGE_EQUIVALENTS)
    assert template.runs_on_local_cluster == (bool(template.command) or mapped)


def test_an_unknown_template_is_refused_naming_the_field() -> None:
    with pytest.raises(InvalidInput) as raised:
        find_template("nope")
    assert raised.value.field == "template"
