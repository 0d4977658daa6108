"""The variables Patrol injects into a checker pod, pointed at a test receiver."""

from __future__ import annotations

import time
from datetime import timedelta

from app.checkers.client import RetryPolicy

from .servers import ScriptedHttpServer

RUN_UUID = "5f0c3a52-7a8e-4f57-9f0e-0d6c1f9f6c11"
REPORT_PATH = "/externalCheckStatus"
REPORT_QUERY = "cluster=prod-eu&token=abc%3D"

FAST_RETRIES = RetryPolicy(
    budget=timedelta(seconds=5),
    initial_backoff=timedelta(milliseconds=10),
    max_backoff=timedelta(milliseconds=50),
    request_timeout=timedelta(seconds=2),
)


def reporting_env(receiver: ScriptedHttpServer, *, deadline_in: float = 30.0) -> dict[str, str]:
    return {
        "KH_REPORTING_URL": f"{receiver.url}{REPORT_PATH}?{REPORT_QUERY}",
        "KH_RUN_UUID": RUN_UUID,
        "KH_CHECK_RUN_DEADLINE": str(int(time.time() + deadline_in)),
        "KH_POD_NAMESPACE": "checks",
    }
