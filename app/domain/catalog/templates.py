"""Every template in the catalog, in the order a console lists them."""

from __future__ import annotations

from app.domain.catalog.kuberhealthy_templates import KUBERHEALTHY_TEMPLATES
from app.domain.catalog.model import CheckTemplate
from app.domain.catalog.patrol_templates import PATROL_TEMPLATES
from app.errors import InvalidInput

CATALOG: tuple[CheckTemplate, ...] = (*PATROL_TEMPLATES, *KUBERHEALTHY_TEMPLATES)
_BY_ID = {template.id: template for template in CATALOG}


def find_template(template_id: str) -> CheckTemplate:
    template = _BY_ID.get(template_id)
    if template is None:
        raise InvalidInput(
            f"template: {template_id[:80]!r} is not in the catalog (checkCatalog lists them)",
            field="template",
        )
    return template
