"""Prometheus metrics of Patrol itself."""

from __future__ import annotations

from prometheus_client import Counter

JOBS_ENQUEUED = Counter("patrol_jobs_enqueued_total", "Jobs put on the queue", ["job"])
HOUSEKEEPING_PRUNED = Counter("patrol_runs_pruned_total", "Finished runs deleted by housekeeping")
