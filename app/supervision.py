"""Supervised loops: every long-running loop of a process runs under a name, and a loop that fails
is logged, paused (exponential backoff with a cap) and restarted; a loop that stops beating is
reported down. A monitor whose loop died silently would stop monitoring and say nothing."""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.logging import get_logger
from app.metrics import LOOP_LAST_HEARTBEAT, LOOP_RESTARTS, LOOP_UP
from app.models.columns import utcnow

log = get_logger(__name__)
FIRST_BACKOFF_SECONDS = 0.5
# A stop waits this long for the stretch in progress (a claim and its enqueue, say) to finish.
STOP_GRACE_SECONDS = 10.0


class LoopControl:
    """What a loop body gets: `beat()` after each pass, `stretch()` around work a stop must not
    cut in half, `pause()` to wait between passes (waiting counts as alive)."""

    def __init__(self, name: str, quiet_interval: float) -> None:
        self.name = name
        self.quiet_interval = quiet_interval
        self._stretch = asyncio.Lock()
        self._last_beat: float | None = None  # time.monotonic()
        self._last_beat_wall: float | None = None  # time.time(), for the metric

    def beat(self) -> None:
        self._last_beat, self._last_beat_wall = time.monotonic(), time.time()
        LOOP_LAST_HEARTBEAT.labels(loop=self.name).set(self._last_beat_wall)

    @contextlib.asynccontextmanager
    async def stretch(self) -> AsyncIterator[None]:
        async with self._stretch:
            yield

    async def pause(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            await asyncio.sleep(min(left, self.quiet_interval))
            self.beat()


LoopBody = Callable[[LoopControl], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class LoopHealth:
    name: str
    # Running, and beaten within the threshold (the `patrol_loop_up` gauge).
    up: bool
    # No beat for longer than the threshold, whether hung or failing: /readyz reports it.
    stale: bool
    restarts: int
    # Whether the process is unready while this loop is down (a cluster's watch is not: one bad
    # cluster must not take a process out of service for every other cluster).
    essential: bool
    last_beat: datetime | None
    # When the loop was last known to be working (its last beat, or its start), if it is down.
    down_since: datetime | None
    last_error: str | None


class _Loop:
    def __init__(
        self,
        name: str,
        body: LoopBody,
        context: dict[str, str],
        *,
        essential: bool,
        quiet: float,
        expected_errors: tuple[type[Exception], ...] = (),
    ) -> None:
        self.name = name
        self.expected_errors = expected_errors
        self.body = body
        self.context = context
        self.essential = essential
        self.control = LoopControl(name, quiet)
        self.task: asyncio.Task[None] | None = None
        self.running = False
        self.started_at = time.monotonic()
        self.restarts = 0
        self.last_error: str | None = None

    def last_alive(self) -> float:
        """A restart is no sign of life: only beats are (and the first start)."""
        beat = self.control._last_beat
        return self.started_at if beat is None else beat


class Supervisor:
    """The named loops of one process. `start` runs a loop until `stop`; a failure (anything
    but cancellation) is logged once, with the loop's name and context, and the loop restarts
    after a pause that doubles up to `max_backoff` (and starts again small once a run lasted
    that long)."""

    def __init__(self, *, stale_after: float, max_backoff: float) -> None:
        self.stale_after = stale_after
        self.max_backoff = max_backoff
        self._loops: dict[str, _Loop] = {}

    def __contains__(self, name: str) -> bool:
        return name in self._loops

    def start(
        self,
        name: str,
        body: LoopBody,
        *,
        essential: bool = True,
        expected_errors: tuple[type[Exception], ...] = (),
        **context: str,
    ) -> LoopControl:
        """`expected_errors` are failures of the outside world (a cluster's API down), not bugs:
        logged with their message only. Rendering a traceback costs the event loop dearly, and a
        loop retrying an unreachable cluster fails often."""
        if name in self._loops:
            raise ValueError(f"a loop named {name!r} is already running")
        loop = _Loop(
            name,
            body,
            context,
            essential=essential,
            quiet=min(1.0, self.stale_after / 4),
            expected_errors=expected_errors,
        )
        self._loops[name] = loop
        LOOP_UP.labels(loop=name).set_function(lambda: 1.0 if self._is_up(loop) else 0.0)
        loop.task = asyncio.create_task(self._supervise(loop), name=f"loop:{name}")
        return loop.control

    async def stop(self, name: str, *, grace: float = STOP_GRACE_SECONDS) -> None:
        """Wait for the stretch in progress (up to `grace` seconds), then cancel the loop."""
        loop = self._loops.pop(name, None)
        if loop is None or loop.task is None:
            return
        lock, acquired = loop.control._stretch, False
        try:
            async with asyncio.timeout(grace):
                acquired = await lock.acquire()
        except TimeoutError:
            log.warning("a loop did not finish its stretch in time; stopping it anyway", loop=name)
        finally:
            # Even when this stop is itself cancelled, the loop must not outlive it.
            loop.task.cancel()
            if acquired:
                lock.release()
        await asyncio.gather(loop.task, return_exceptions=True)
        for gauge in (LOOP_UP, LOOP_LAST_HEARTBEAT):
            with contextlib.suppress(KeyError):
                gauge.remove(name)

    async def stop_all(self) -> None:
        for name in list(reversed(self._loops)):
            await self.stop(name)

    def health(self) -> list[LoopHealth]:
        now_monotonic, now = time.monotonic(), utcnow()

        def at(moment: float | None) -> datetime | None:
            return None if moment is None else now - timedelta(seconds=now_monotonic - moment)

        return [
            LoopHealth(
                name=loop.name,
                up=(up := self._is_up(loop)),
                stale=now_monotonic - loop.last_alive() > self.stale_after,
                restarts=loop.restarts,
                essential=loop.essential,
                last_beat=at(loop.control._last_beat),
                down_since=None if up else at(loop.last_alive()),
                last_error=loop.last_error,
            )
            for loop in self._loops.values()
        ]

    def _is_up(self, loop: _Loop) -> bool:
        return loop.running and time.monotonic() - loop.last_alive() <= self.stale_after

    async def _supervise(self, loop: _Loop) -> None:
        failures = 0
        while True:
            began = time.monotonic()
            loop.running = True
            try:
                await loop.body(loop.control)
                error: BaseException = RuntimeError("the loop returned")
            except asyncio.CancelledError:
                loop.running = False
                raise
            except Exception as raised:
                error = raised
            loop.running = False
            if time.monotonic() - began >= self.max_backoff:
                failures = 0
            delay = min(self.max_backoff, FIRST_BACKOFF_SECONDS * 2**failures)
            delay *= random.uniform(0.9, 1.1)  # replicas that failed together retry apart
            failures += 1
            loop.restarts += 1
            loop.last_error = f"{type(error).__name__}: {error}"
            LOOP_RESTARTS.labels(loop=loop.name).inc()
            log.error(
                "loop failed; restarting it after a pause",
                loop=loop.name,
                **loop.context,
                error=loop.last_error,
                restart_in_seconds=round(delay, 2),
                restarts=loop.restarts,
                exc_info=None if isinstance(error, loop.expected_errors) else error,
            )
            await asyncio.sleep(delay)
