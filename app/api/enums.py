"""The domain enums, registered as GraphQL enums (values are the member names)."""

from __future__ import annotations

import strawberry

from app.domain.access import Role
from app.domain.alerting.rules import ExecutionErrors, Severity
from app.domain.alerting.state import AlertStatus, CauseKind, TransitionKind
from app.domain.catalog import SettingKind, TemplateCategory
from app.domain.check_status import CheckHealth
from app.domain.history_window import UptimeWindow
from app.domain.log_stream import LogEndReason
from app.domain.rollup import RollupStep
from app.models import (
    AttemptResult,
    ConnectionKind,
    FailureReason,
    NotificationStatus,
    RunStatus,
    RunTrigger,
)
from app.services.history import CheckChange
from app.services.live_updates import RunStep

ConnectionKindEnum = strawberry.enum(ConnectionKind, name="ConnectionKind")
RunStatusEnum = strawberry.enum(RunStatus, name="RunStatus")
RunTriggerEnum = strawberry.enum(RunTrigger, name="RunTrigger")
FailureReasonEnum = strawberry.enum(FailureReason, name="FailureReason")
RoleEnum = strawberry.enum(Role, name="Role")
CheckHealthEnum = strawberry.enum(CheckHealth, name="CheckHealth")
CheckChangeEnum = strawberry.enum(
    CheckChange,
    name="CheckChangeKind",
    description="CREATED, UPDATED (any edit, a pause or a resume too) or DELETED.",
)
RunLogEndReasonEnum = strawberry.enum(
    LogEndReason,
    name="RunLogEndReason",
    description="Why a runLogs subscription ended: STORED (the run was finalized and its stored "
    "log was sent), POD_ENDED (the followed containers terminated and all they wrote was sent), "
    "POD_GONE (the pod was deleted, or never created, before its log could be read), LIMIT (the "
    "byte limit was reached).",
)

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

CatalogSettingKindEnum = strawberry.enum(
    SettingKind,
    name="CatalogSettingKind",
    description="How a setting is read: STRING, URL (http/https with a host), HOST (DNS name or "
    "IP), ADDRESS (host:port, prefixed by one of `choices` as scheme:// when it lists any), PORT "
    "(1-65535), INT, NUMBER, DURATION (Go syntax), BOOL (true/false), ENUM (one of `choices`).",
)
TemplateCategoryEnum = strawberry.enum(TemplateCategory, name="CheckTemplateCategory")
