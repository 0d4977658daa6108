"""SQLModel tables, one module per aggregate. Importing this package registers them all."""

from app.models.access import ApiToken, AuditRecord
from app.models.alerting import (
    Alert,
    AlertComment,
    AlertingCursor,
    AlertRule,
    AlertSubjectState,
    AlertTransition,
    AttemptResult,
    Channel,
    DeliveryAttempt,
    Notification,
    NotificationStatus,
    Silence,
    SilenceWindowKind,
)
from app.models.check import Check, CheckCluster
from app.models.cluster import Cluster, ClusterHealth, ConnectionKind
from app.models.history import CheckStatus, Event, EventKind
from app.models.rollup import RunRollup, RunRollupBin
from app.models.run import FailureReason, Run, RunEvent, RunLog, RunStatus, RunTrigger
from app.models.schedule import CheckSchedule
from app.models.shared_setting import SharedSetting

__all__ = [
    "Alert",
    "AlertComment",
    "AlertRule",
    "AlertSubjectState",
    "AlertTransition",
    "AlertingCursor",
    "ApiToken",
    "AttemptResult",
    "AuditRecord",
    "Channel",
    "Check",
    "CheckCluster",
    "CheckSchedule",
    "CheckStatus",
    "Cluster",
    "ClusterHealth",
    "ConnectionKind",
    "DeliveryAttempt",
    "Event",
    "EventKind",
    "FailureReason",
    "Notification",
    "NotificationStatus",
    "Run",
    "RunEvent",
    "RunLog",
    "RunRollup",
    "RunRollupBin",
    "RunStatus",
    "RunTrigger",
    "SharedSetting",
    "Silence",
    "SilenceWindowKind",
]
