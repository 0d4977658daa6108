"""A silence's window: one-off (start, end) or recurring (cron plus duration, in a time zone)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from app.domain.alerting.silences import OneOffWindow, RecurringWindow, SilenceWindow
from app.domain.duration import format_duration, parse_duration
from app.errors import InvalidInput


@strawberry.input
class OneOffWindowInput:
    starts_at: datetime | None = strawberry.field(
        default=None, description="Default: now. Include a UTC offset."
    )
    ends_at: datetime = strawberry.field(description="Include a UTC offset.")


@strawberry.input(description="Opens at each time `cron` names, for `duration` (a Go duration).")
class RecurringWindowInput:
    cron: str = strawberry.field(description="Five fields, e.g. '0 2 * * *' for 02:00 daily.")
    duration: str
    timezone: str = strawberry.field(default="UTC", description="IANA name, e.g. Europe/Paris.")


@strawberry.input(one_of=True, description="Exactly one kind of window.")
class SilenceWindowInput:
    one_off: OneOffWindowInput | None = strawberry.UNSET
    recurring: RecurringWindowInput | None = strawberry.UNSET

    def to_window(self, now: datetime) -> SilenceWindow:
        if isinstance(self.one_off, OneOffWindowInput):
            return OneOffWindow(
                starts_at=now if self.one_off.starts_at is None else self.one_off.starts_at,
                ends_at=self.one_off.ends_at,
            )
        if isinstance(self.recurring, RecurringWindowInput):
            return RecurringWindow(
                cron=self.recurring.cron.strip(),
                duration=parse_duration(self.recurring.duration, field="window.duration"),
                timezone=self.recurring.timezone,
            )
        raise InvalidInput("give exactly one of oneOff or recurring", field="window")


@strawberry.type(name="OneOffWindow")
class OneOffWindowType:
    starts_at: datetime
    ends_at: datetime


@strawberry.type(name="RecurringWindow")
class RecurringWindowType:
    cron: str
    duration: str = strawberry.field(description="Go duration.")
    timezone: str


SilenceWindowType = Annotated[
    OneOffWindowType | RecurringWindowType, strawberry.union("SilenceWindow")
]


def window_type(window: SilenceWindow) -> SilenceWindowType:
    match window:
        case OneOffWindow(starts_at=starts, ends_at=ends):
            return OneOffWindowType(starts_at=starts, ends_at=ends)
        case RecurringWindow(cron=cron, duration=duration, timezone=zone):
            return RecurringWindowType(cron=cron, duration=format_duration(duration), timezone=zone)
