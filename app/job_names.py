"""Names under which jobs are enqueued, and their deterministic ids; workers register these names."""

import uuid

HOUSEKEEPING = "housekeeping"
LAUNCH_RUN = "launch_run"
CHECK_EXITED_RUN = "check_exited_run"
FINALIZE_RUN = "finalize_run"
RECONCILE = "reconcile"


def run_job_id(job: str, run_id: uuid.UUID, generation: int = 0) -> str:
    """`generation` tells apart a job that replaces one held by a killed worker."""
    return f"{job}:{run_id}" if generation == 0 else f"{job}:{run_id}:{generation}"
