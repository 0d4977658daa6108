"""Prometheus metrics of Patrol itself."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

JOBS_ENQUEUED = Counter("patrol_jobs_enqueued_total", "Jobs put on the queue", ["job"])
HOUSEKEEPING_PRUNED = Counter("patrol_runs_pruned_total", "Finished runs deleted by housekeeping")
HISTORY_PRUNED = Counter(
    "patrol_history_pruned_total",
    "Rows deleted by retention, by kind (runs, events, hourly and daily rollups, rollup bins)",
    ["kind"],
)
HISTORY_PRUNE_BATCHES = Counter(
    "patrol_history_prune_batches_total",
    "Retention transactions (each deletes one batch)",
    ["kind"],
)
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
RECONCILE_FAILURES = Counter(
    "patrol_reconcile_failures_total",
    "Items the reconciler could not repair this time (it carries on with the rest)",
    ["step"],
)
AUTH_REFUSALS = Counter(
    "patrol_auth_refusals_total",
    "GraphQL requests refused for a missing or bad token",
    ["transport"],
)
LOOP_UP = Gauge(
    "patrol_loop_up",
    "1 while a supervised loop runs and has beaten recently; 0 while it is failing or hung",
    ["loop"],
)
LOOP_RESTARTS = Counter(
    "patrol_loop_restarts_total", "Restarts of a supervised loop after it failed", ["loop"]
)
LOOP_LAST_HEARTBEAT = Gauge(
    "patrol_loop_last_heartbeat_timestamp_seconds",
    "When a supervised loop last showed it was working (Unix time)",
    ["loop"],
)
SCHEDULER_LAG = Histogram(
    "patrol_scheduler_lag_seconds",
    "How late scheduled runs start: pod creation time minus the run's scheduled time",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
REPORT_LATENCY = Histogram(
    "patrol_report_latency_seconds",
    "Time to identify, read and record a checker report, by result",
    ["result"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
LIVE_LOG_STREAMS = Gauge(
    "patrol_live_log_streams", "runLogs subscriptions following a pod's log right now"
)
QUEUE_DEPTH = Gauge("patrol_queue_depth", "Jobs waiting in the job queue (read at each scrape)")
# Kuberhealthy v3's counters, counted by the process that decides each run: sum them over
# Patrol's processes (`sum by (check, namespace, cluster)`).
KH_CHECK_SUCCESS = Counter(
    "kuberhealthy_check_success",
    "Successful runs of a check",
    ["check", "namespace", "cluster"],
)
KH_CHECK_FAILURE = Counter(
    "kuberhealthy_check_failure",
    "Failed runs of a check (the checker reported a failure, timed out or could not run)",
    ["check", "namespace", "cluster"],
)
KH_CHECK_RUN_DURATION = Histogram(
    "kuberhealthy_check_run_duration_seconds",
    "Run duration of a check",
    ["check", "namespace", "cluster"],
    buckets=(1, 5, 10, 30, 60, 120, 300),
)
EVENT_NUDGES_LOST = Counter(
    "patrol_event_nudges_lost_total",
    "Nudges to readers of the event log that could not be published (they poll instead)",
)
LIVE_SUBSCRIBERS = Gauge(
    "patrol_live_subscribers", "GraphQL subscriptions being served by this process"
)
LIVE_SUBSCRIBERS_DROPPED = Counter(
    "patrol_live_subscribers_dropped_total",
    "Subscriptions ended because their client fell too far behind",
)
LIVE_EVENTS_READ = Counter(
    "patrol_live_events_read_total", "Events read from the log to fan out to subscriptions"
)
