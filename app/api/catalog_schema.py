"""GraphQL for the catalog of ready-made checks: list the templates, create a check from one."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON

import app.api.enums  # noqa: F401  (registers the enums before they are used)
from app.api.access import guarded_field, guarded_mutation
from app.api.context import Info
from app.api.inputs import parse_id
from app.api.types import CheckType
from app.domain.access import Role
from app.domain.catalog import (
    CATALOG,
    CheckTemplate,
    Setting,
    SettingKind,
    SettingValue,
    TemplateCategory,
)
from app.domain.names import validate_labels
from app.services import catalog
from app.services.catalog import CatalogCheckRequest


@strawberry.type(name="CatalogSetting", description="One form field: an environment variable.")
class CatalogSettingType:
    name: str = strawberry.field(description="The environment variable it sets.")
    label: str
    kind: SettingKind
    help: str
    default: str | None = strawberry.field(description="Used when the setting is not given.")
    required: bool
    choices: list[str] = strawberry.field(
        description="ENUM: the values allowed; ADDRESS: the schemes allowed (then required)."
    )
    minimum: float | None
    maximum: float | None
    empty_from_field: str | None = strawberry.field(
        description="Left empty, the variable is read from this pod field instead "
        "(metadata.namespace: the check's own namespace)."
    )

    @classmethod
    def from_setting(cls, setting: Setting) -> CatalogSettingType:
        return cls(
            name=setting.name,
            label=setting.label,
            kind=setting.kind,
            help=setting.help,
            default=setting.default,
            required=setting.required,
            choices=list(setting.choices),
            minimum=setting.minimum,
            maximum=setting.maximum,
            empty_from_field=setting.empty_from_field,
        )


@strawberry.type(name="CheckTemplate", description="A ready-made check in the catalog.")
class CheckTemplateType:
    id: strawberry.ID
    title: str
    description: str
    category: TemplateCategory
    image: str = strawberry.field(description="The checker image, pinned by tag.")
    command: list[str] = strawberry.field(description="Empty: the image's own entrypoint.")
    runs_on_local_cluster: bool = strawberry.field(
        description="Whether Patrol's local cluster can run it (other images need a real one)."
    )
    run_interval: str = strawberry.field(description="The default run interval (Go duration).")
    timeout: str = strawberry.field(description="The default timeout (Go duration).")
    service_account_name: str | None = strawberry.field(
        description="The ServiceAccount its pod runs as; it must exist with the RBAC the "
        "description names."
    )
    docs_url: str | None
    settings: list[CatalogSettingType]

    @classmethod
    def from_template(cls, template: CheckTemplate) -> CheckTemplateType:
        return cls(
            id=strawberry.ID(template.id),
            title=template.title,
            description=template.description,
            category=template.category,
            image=template.image,
            command=list(template.command),
            runs_on_local_cluster=template.runs_on_local_cluster,
            run_interval=template.run_interval,
            timeout=template.timeout,
            service_account_name=template.service_account_name,
            docs_url=template.docs_url,
            settings=[CatalogSettingType.from_setting(setting) for setting in template.settings],
        )


@strawberry.input
class CatalogSettingInput:
    name: str = strawberry.field(description="The setting's name (its environment variable).")
    value: str


@strawberry.input(description="Settings not given take their defaults.")
class CreateCheckFromCatalogInput:
    template: strawberry.ID = strawberry.field(description="A template id from checkCatalog.")
    name: str
    namespace: str
    cluster_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    settings: list[CatalogSettingInput] = strawberry.field(default_factory=list)
    run_interval: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="Go duration; omitted: the template's; null: on-demand only.",
    )
    timeout: str | None = strawberry.field(
        default=None, description="Go duration; null: the template's."
    )
    labels: JSON = strawberry.field(default_factory=dict)

    def to_request(self) -> CatalogCheckRequest:
        return CatalogCheckRequest(
            template=str(self.template),
            name=self.name,
            namespace=self.namespace,
            settings=[SettingValue(item.name, item.value) for item in self.settings],
            cluster_ids=[parse_id(value, field="clusterIds") for value in self.cluster_ids],
            labels=validate_labels(self.labels, field="labels"),
            run_interval=None if self.run_interval is strawberry.UNSET else self.run_interval,
            on_demand=self.run_interval is None,
            timeout=self.timeout,
        )


@strawberry.type
class CatalogQuery:
    @guarded_field(
        Role.VIEWER,
        "Ready-made checks: Patrol's built-in checkers and Kuberhealthy's published images, "
        "each with its settings as form fields.",
    )
    def check_catalog(self) -> list[CheckTemplateType]:
        return [CheckTemplateType.from_template(template) for template in CATALOG]


@strawberry.type
class CatalogMutation:
    @guarded_mutation(
        Role.EDITOR,
        "Creates an ordinary check from a catalog template and its settings. BAD_USER_INPUT "
        "names the field at fault: `settings.<NAME>` for a setting, else as createCheck does.",
    )
    async def create_check_from_catalog(
        self, info: Info, input: CreateCheckFromCatalogInput
    ) -> CheckType:
        request = input.to_request()
        async with info.context.session_factory.begin() as session:
            check = await catalog.create_check_from_template(session, request)
        await info.context.dispatcher.checks_changed()
        return CheckType.from_model(check)
