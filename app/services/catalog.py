"""Creating a check from a catalog template: the template's pod spec, then the same use case as
any other check (`checks.create_check`), so the check is an ordinary one afterwards."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlmodel.ext.asyncio.session import AsyncSession

from app.domain.catalog import (
    CheckTemplate,
    SettingValue,
    find_template,
    resolve_settings,
    template_pod_spec,
)
from app.models import Check
from app.services.checks import CheckDraft, create_check


@dataclass(frozen=True, kw_only=True)
class CatalogCheckRequest:
    template: str
    name: str
    namespace: str
    settings: Sequence[SettingValue] = ()
    cluster_ids: list[uuid.UUID] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    # None means the template's; for the interval, `on_demand` instead means no schedule.
    run_interval: str | None = None
    on_demand: bool = False
    timeout: str | None = None


async def create_check_from_template(session: AsyncSession, request: CatalogCheckRequest) -> Check:
    """Flushes only, as `create_check` does: the caller owns the transaction."""
    template = find_template(request.template)
    values = resolve_settings(template, request.settings)
    draft = CheckDraft(
        name=request.name,
        namespace=request.namespace,
        pod_spec=template_pod_spec(template, values),
        timeout=template.timeout if request.timeout is None else request.timeout,
        run_interval=None if request.on_demand else _given_or(request.run_interval, template),
        description=template.title,
        labels=request.labels,
        cluster_ids=request.cluster_ids,
    )
    return await create_check(session, draft)


def _given_or(run_interval: str | None, template: CheckTemplate) -> str:
    return template.run_interval if run_interval is None else run_interval
