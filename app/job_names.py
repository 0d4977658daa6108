"""Names under which jobs are enqueued, and their deterministic ids; workers register these names."""

import uuid

HOUSEKEEPING = "housekeeping"
LAUNCH_RUN = "launch_run"
CHECK_EXITED_RUN = "check_exited_run"
FINALIZE_RUN = "finalize_run"
RECONCILE = "reconcile"


def run_job_id(job: str, run_id: uuid.UUID) -> str:
    return f"{job}:{run_id}"
