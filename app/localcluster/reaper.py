"""The host's end of the reaper (see `reaper_process`): pod process groups registered here are
killed when this process dies, however it dies."""

from __future__ import annotations

import asyncio
import sys

import structlog

from app.localcluster import reaper_process

log = structlog.get_logger(__name__)


class Reaper:
    """Started before the first pod process, and started again (told every live group again)
    as soon as it is found to have exited, so that no pod is left unguarded for long."""

    def __init__(self) -> None:
        self._process: asyncio.subprocess.Process | None = None
        self._groups: set[int] = set()
        self._lock = asyncio.Lock()
        self._restarts: asyncio.Task[None] | None = None
        self._closed = False

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    async def start(self) -> None:
        """Before a pod process is forked: between its fork and `watch`, it is not guarded, and
        that moment must not include starting the reaper."""
        async with self._lock:
            if self._closed or (self._process is not None and self._process.returncode is None):
                return
            try:
                self._process = await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-I",
                    "-S",
                    reaper_process.__file__,
                    stdin=asyncio.subprocess.PIPE,
                    stdout=asyncio.subprocess.DEVNULL,
                    # Out of the host's process group and session: what kills the host's group,
                    # or hangs up its terminal, must leave the reaper to do its job.
                    start_new_session=True,
                )
            except OSError as error:
                log.error(
                    "cannot start the local cluster's reaper: pods may outlive a crash",
                    error=str(error),
                )
                return
            self._send(b"".join(map(reaper_process.watch_message, self._groups)))
            self._restarts = asyncio.create_task(self._restart_when_it_exits(self._process))

    def watch(self, pgid: int) -> None:
        self._groups.add(pgid)
        self._send(reaper_process.watch_message(pgid))

    def forget(self, pgid: int) -> None:
        if pgid in self._groups:
            self._groups.discard(pgid)
            self._send(reaper_process.forget_message(pgid))

    async def close(self) -> None:
        """Ends the reaper; it kills any group still registered, as if this process had died."""
        self._closed = True
        process, self._process = self._process, None
        if self._restarts is not None:
            self._restarts.cancel()
            await asyncio.gather(self._restarts, return_exceptions=True)
        if process is not None:
            assert process.stdin is not None
            process.stdin.close()
            await process.wait()

    def _send(self, message: bytes) -> None:
        """A message lost to a reaper that has just exited is sent again to its successor."""
        if message and self._process is not None and self._process.stdin is not None:
            self._process.stdin.write(message)

    async def _restart_when_it_exits(self, process: asyncio.subprocess.Process) -> None:
        code = await process.wait()
        log.warning(
            "the local cluster's reaper exited: starting another", pid=process.pid, code=code
        )
        await self.start()
