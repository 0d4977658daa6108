"""The domain enums, registered as GraphQL enums (values are the member names)."""

from __future__ import annotations

import strawberry

from app.domain.access import Role
from app.domain.check_status import CheckHealth
from app.domain.history_window import UptimeWindow
from app.domain.rollup import RollupStep
from app.models import ConnectionKind, FailureReason, RunStatus, RunTrigger
from app.services.live_updates import RunStep

ConnectionKindEnum = strawberry.enum(ConnectionKind, name="ConnectionKind")
RunStatusEnum = strawberry.enum(RunStatus, name="RunStatus")
RunTriggerEnum = strawberry.enum(RunTrigger, name="RunTrigger")
FailureReasonEnum = strawberry.enum(FailureReason, name="FailureReason")
RoleEnum = strawberry.enum(Role, name="Role")
CheckHealthEnum = strawberry.enum(CheckHealth, name="CheckHealth")
UptimeWindowEnum = strawberry.enum(UptimeWindow, name="UptimeWindow")
RollupStepEnum = strawberry.enum(RollupStep, name="RollupStep")
RunStepEnum = strawberry.enum(
    RunStep, name="RunStep", description="A step in a run's life, as `runUpdates` reports it."
)
