"""The domain enums, registered as GraphQL enums (values are the member names)."""

from __future__ import annotations

import strawberry

from app.domain.access import Role
from app.domain.alerting.rules import ExecutionErrors, Severity
from app.domain.alerting.state import AlertStatus, CauseKind, TransitionKind
from app.domain.check_status import CheckHealth
from app.domain.history_window import UptimeWindow
from app.domain.rollup import RollupStep
from app.models import (
    AttemptResult,
    ConnectionKind,
    FailureReason,
    NotificationStatus,
    RunStatus,
    RunTrigger,
)
from app.services.live_updates import RunStep

ConnectionKindEnum = strawberry.enum(ConnectionKind, name="ConnectionKind")
RunStatusEnum = strawberry.enum(RunStatus, name="RunStatus")
RunTriggerEnum = strawberry.enum(RunTrigger, name="RunTrigger")
FailureReasonEnum = strawberry.enum(FailureReason, name="FailureReason")
RoleEnum = strawberry.enum(Role, name="Role")
CheckHealthEnum = strawberry.enum(CheckHealth, name="CheckHealth")

SeverityEnum = strawberry.enum(Severity, name="Severity")
ExecutionErrorsEnum = strawberry.enum(
    ExecutionErrors,
    name="ExecutionErrors",
    description="How runs Patrol could not execute (image pull, unschedulable, timeout) count.",
)
AlertStatusEnum = strawberry.enum(AlertStatus, name="AlertStatus")
TransitionKindEnum = strawberry.enum(TransitionKind, name="AlertTransitionKind")
CauseKindEnum = strawberry.enum(
    CauseKind,
    name="AlertCause",
    description="What caused a transition: a run, the clock, a person.",
)
DeliveryStatusEnum = strawberry.enum(NotificationStatus, name="DeliveryStatus")
DeliveryResultEnum = strawberry.enum(AttemptResult, name="DeliveryResult")
UptimeWindowEnum = strawberry.enum(UptimeWindow, name="UptimeWindow")
RollupStepEnum = strawberry.enum(RollupStep, name="RollupStep")
RunStepEnum = strawberry.enum(
    RunStep, name="RunStep", description="A step in a run's life, as `runUpdates` reports it."
)
