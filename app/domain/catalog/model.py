"""What a catalog template is: an image, how often it runs, and the settings a form asks for."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class TemplateCategory(enum.StrEnum):
    PATROL = "patrol"
    KUBERHEALTHY = "kuberhealthy"


class SettingKind(enum.StrEnum):
    """How a setting's text is read; every value reaches the pod as an environment variable."""

    STRING = "string"
    URL = "url"  # http:// or https:// with a host
    HOST = "host"  # a DNS name or an IP address
    ADDRESS = "address"  # host:port, optionally prefixed by one of `choices` as a scheme
    PORT = "port"  # 1-65535
    INT = "int"
    NUMBER = "number"
    DURATION = "duration"  # Go syntax: 30s, 1m30s
    BOOL = "bool"  # written as true or false
    ENUM = "enum"  # one of `choices`


@dataclass(frozen=True, kw_only=True)
class Setting:
    name: str  # the environment variable
    label: str
    kind: SettingKind
    help: str
    default: str | None = None
    required: bool = False
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    # Left empty, the variable comes from this pod field instead (Kuberhealthy's manifests set
    # a namespace this way), e.g. `metadata.namespace`.
    empty_from_field: str | None = None


@dataclass(frozen=True, kw_only=True)
class FieldEnv:
    """A variable the template always sets from a pod field, as Kuberhealthy's manifests do."""

    name: str
    field_path: str


@dataclass(frozen=True, kw_only=True)
class CheckTemplate:
    id: str
    title: str
    description: str
    category: TemplateCategory
    image: str
    runs_on_local_cluster: bool
    run_interval: str
    timeout: str
    settings: tuple[Setting, ...]
    command: tuple[str, ...] = ()
    container_name: str = "main"
    service_account_name: str | None = None
    field_env: tuple[FieldEnv, ...] = ()
    docs_url: str | None = None

    def setting(self, name: str) -> Setting | None:
        return next((setting for setting in self.settings if setting.name == name), None)
