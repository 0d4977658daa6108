"""The pod spec a template makes from resolved setting values: an ordinary check's pod spec."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.domain.catalog.model import CheckTemplate


def template_pod_spec(template: CheckTemplate, values: Mapping[str, str]) -> dict[str, Any]:
    env: list[dict[str, Any]] = []
    for setting in template.settings:
        if setting.name in values:
            env.append({"name": setting.name, "value": values[setting.name]})
        elif setting.empty_from_field is not None:
            env.append(_from_field(setting.name, setting.empty_from_field))
    env.extend(_from_field(item.name, item.field_path) for item in template.field_env)
    container: dict[str, Any] = {"name": template.container_name, "image": template.image}
    if template.command:
        container["command"] = list(template.command)
    container["env"] = env
    spec: dict[str, Any] = {"containers": [container]}
    if template.service_account_name is not None:
        spec["serviceAccountName"] = template.service_account_name
    return spec


def _from_field(name: str, field_path: str) -> dict[str, Any]:
    return {"name": name, "valueFrom": {"fieldRef": {"fieldPath": field_path}}}
