"""The catalog of ready-made checks: templates, their settings, and the pod spec each makes."""

from app.domain.catalog.model import (
    CheckTemplate,
    FieldEnv,
    Setting,
    SettingKind,
    TemplateCategory,
)
from app.domain.catalog.pod_spec import template_pod_spec
from app.domain.catalog.templates import CATALOG, find_template
from app.domain.catalog.values import SettingValue, resolve_settings

__all__ = [
    "CATALOG",
    "CheckTemplate",
    "FieldEnv",
    "Setting",
    "SettingKind",
    "SettingValue",
    "TemplateCategory",
    "find_template",
    "resolve_settings",
    "template_pod_spec",
]
