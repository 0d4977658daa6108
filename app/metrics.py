"""Prometheus metrics of Patrol itself."""

from __future__ import annotations

from prometheus_client import Counter

JOBS_ENQUEUED = Counter("patrol_jobs_enqueued_total", "Jobs put on the queue", ["job"])
HOUSEKEEPING_PRUNED = Counter("patrol_runs_pruned_total", "Finished runs deleted by housekeeping")
SCHEDULE_SLOTS_SKIPPED = Counter(
    "patrol_schedule_slots_skipped_total",
    "Scheduled slots that did not run: missed while down, or the previous run still in flight",
    ["reason"],
)
RUNS_DECIDED = Counter("patrol_runs_decided_total", "Runs decided, by outcome", ["status"])
RUNS_LAUNCHED = Counter("patrol_runs_launched_total", "Checker pods created", ["trigger"])
REPORTS = Counter("patrol_reports_total", "Checker reports received", ["result"])
PODS_REAPED = Counter("patrol_pods_reaped_total", "Patrol pods deleted by the reaper")
RUNS_RECONCILED = Counter(
    "patrol_runs_reconciled_total", "Runs repaired by the reconciler", ["action"]
)
AUTH_REFUSALS = Counter(
    "patrol_auth_refusals_total",
    "GraphQL requests refused for a missing or bad token",
    ["transport"],
)
