"""Job functions: thin, each takes the arq context (holding the Runtime) and calls services.

Every step is idempotent, so a job that fails (the database or Redis away for a while, say) is
logged and retried with backoff; a periodic job carries on past an item that fails."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from app.adapters.queue import Retry
from app.logging import get_logger
from app.models.columns import utcnow
from app.runtime import Runtime
from app.services.finalize import Finalized, finalize
from app.services.housekeeping import Retention, prune_history
from app.services.launch import LaunchResult, launch
from app.services.observe import settle_exit
from app.services.reconcile import reconcile as reconcile_runs_and_pods

log = get_logger(__name__)
# How often finalize looks again at a checker that reported and is still exiting.
EXIT_POLL_SECONDS = 0.5
# A run's job that keeps failing is given up after this many tries (about a minute of backoff);
# the finalize sweep, the reconciler or, at worst, the run's deadline take it from there.
JOB_ATTEMPTS = 10
T = TypeVar("T")


def runtime_of(ctx: dict[str, Any]) -> Runtime:
    runtime: Runtime = ctx["runtime"]
    return runtime


def backoff(ctx: dict[str, Any], *, cap: float = 10.0) -> float:
    return float(min(cap, 0.5 * 2 ** (int(ctx.get("job_try", 1)) - 1)))


def retried(
    job: Callable[[dict[str, Any], str], Awaitable[T]],
) -> Callable[[dict[str, Any], str], Awaitable[T]]:
    """A failing run job is logged with its run and retried with backoff instead of lost."""

    @functools.wraps(job)
    async def attempt(ctx: dict[str, Any], run_id: str) -> T:
        try:
            return await job(ctx, run_id)
        except Retry:
            raise
        except Exception as error:
            tries = int(ctx.get("job_try", 1))
            log.error(
                "job failed",
                job=job.__name__,
                run_id=run_id,
                job_try=tries,
                error=f"{type(error).__name__}: {error}",
                exc_info=error,
            )
            if tries < JOB_ATTEMPTS:
                raise Retry(defer=backoff(ctx)) from error
            raise

    return attempt


@retried
async def launch_run(ctx: dict[str, Any], run_id: str) -> str:
    attempt = await launch(runtime_of(ctx), uuid.UUID(run_id), retry_in=backoff(ctx))
    if attempt.result is LaunchResult.RETRY:
        raise Retry(defer=attempt.retry_in)
    return str(attempt.result.value)


@retried
async def check_exited_run(ctx: dict[str, Any], run_id: str) -> bool:
    return await settle_exit(runtime_of(ctx), uuid.UUID(run_id))


@retried
async def finalize_run(ctx: dict[str, Any], run_id: str) -> str:
    attempt = int(ctx.get("job_try", 1))
    result = await finalize(runtime_of(ctx), uuid.UUID(run_id), attempt=attempt)
    if result is Finalized.RETRY:
        raise Retry(defer=backoff(ctx))
    if result is Finalized.WAIT_FOR_EXIT:
        raise Retry(defer=EXIT_POLL_SECONDS)
    return str(result.value)


async def reconcile(ctx: dict[str, Any]) -> dict[str, int]:
    result = await reconcile_runs_and_pods(runtime_of(ctx), now=utcnow())
    return {"relaunch": result.relaunched, "reaped": result.reaped, "failed": result.failed}


async def housekeeping(ctx: dict[str, Any]) -> dict[str, int]:
    runtime = runtime_of(ctx)
    pruned = await prune_history(
        runtime.session_factory, Retention.of(runtime.settings), now=utcnow()
    )
    return pruned.counts
