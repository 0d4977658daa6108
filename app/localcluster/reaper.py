"""The host's end of the reaper (see `reaper_process`): pod process groups registered here are
killed when this process dies, however it dies."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys

import structlog

from app.localcluster import reaper_process

log = structlog.get_logger(__name__)


class Reaper:
    """Started before the first pod process; restarted (and told every live group again) if it
    was found dead, since a pod started meanwhile would otherwise outlive a crash of its host."""

    def __init__(self) -> None:
        self._process: subprocess.Popen[bytes] | None = None
        self._groups: set[int] = set()

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    def start(self) -> None:
        """Before a pod process is forked: between its fork and `watch`, it is not guarded, and
        that window must not include starting the reaper."""
        if self._process is None or self._process.poll() is not None:
            self._restart()

    def watch(self, pgid: int) -> None:
        self._groups.add(pgid)
        if not self._send(reaper_process.watch_message(pgid)):
            self._restart()

    def forget(self, pgid: int) -> None:
        if pgid in self._groups:
            self._groups.discard(pgid)
            self._send(reaper_process.forget_message(pgid))

    async def close(self) -> None:
        """Ends the reaper; it kills any group still registered, as if this process had died."""
        process, self._process = self._process, None
        if process is None:
            return
        assert process.stdin is not None
        with contextlib.suppress(OSError):
            process.stdin.close()
        await asyncio.to_thread(process.wait)

    def _send(self, message: bytes) -> bool:
        if self._process is None or self._process.poll() is not None:
            return False
        assert self._process.stdin is not None
        try:
            self._process.stdin.write(message)
            self._process.stdin.flush()
        except OSError:
            return False
        return True

    def _restart(self) -> None:
        if self._process is not None:
            log.warning(
                "the local cluster's reaper had exited: starting another", pid=self._process.pid
            )
            self._discard(self._process)
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-I", "-S", reaper_process.__file__],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                # Out of the host's process group and session: what kills the host's group, or
                # hangs up its terminal, must leave the reaper to do its job.
                start_new_session=True,
            )
        except OSError as error:
            self._process = None
            log.error(
                "cannot start the local cluster's reaper: pods may outlive a crash",
                error=str(error),
            )
            return
        if self._groups:
            self._send(b"".join(map(reaper_process.watch_message, self._groups)))

    @staticmethod
    def _discard(process: subprocess.Popen[bytes]) -> None:
        assert process.stdin is not None
        with contextlib.suppress(OSError):
            process.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(1)
