"""Channel inputs. `urls` is a secret-named argument: the audit trail masks it."""

from __future__ import annotations

import strawberry

from app.errors import InvalidInput
from app.services.alerting.channel_config import ChannelChanges, ChannelDraft
from app.services.patch import UNCHANGED


@strawberry.input
class CreateChannelInput:
    name: str
    urls: list[str] = strawberry.field(
        description="Apprise URLs, e.g. slack://T…/B…/x or mailto://user:pass@example.com. "
        "Stored encrypted, never returned: see maskedUrls."
    )
    tags: list[str] = strawberry.field(default_factory=list)
    description: str = ""

    def to_draft(self) -> ChannelDraft:
        return ChannelDraft(
            name=self.name,
            urls=tuple(self.urls),
            tags=tuple(self.tags),
            description=self.description,
        )


@strawberry.input(description="Omitted fields keep their value; urls replaces every URL.")
class UpdateChannelInput:
    id: strawberry.ID
    name: str | None = strawberry.UNSET
    urls: list[str] | None = strawberry.UNSET
    tags: list[str] | None = strawberry.UNSET
    description: str | None = strawberry.UNSET

    def to_changes(self) -> ChannelChanges:
        given = (
            ("name", self.name),
            ("urls", self.urls),
            ("tags", self.tags),
            ("description", self.description),
        )
        for field, value in given:
            if value is None:
                raise InvalidInput(f"{field}: cannot be null", field=field)
        return ChannelChanges(
            name=UNCHANGED if self.name is strawberry.UNSET else str(self.name),
            urls=UNCHANGED if self.urls is strawberry.UNSET else tuple(self.urls or ()),
            tags=UNCHANGED if self.tags is strawberry.UNSET else tuple(self.tags or []),
            description=(
                UNCHANGED if self.description is strawberry.UNSET else str(self.description)
            ),
        )
