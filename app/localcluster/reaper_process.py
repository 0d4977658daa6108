"""The reaper: a process of its own that kills the pod process groups its host registered, once
the host has died by any means, SIGKILL included. Standard library only: it runs as
`python -I -S reaper_process.py`, without importing Patrol.

Its lifeline is its stdin, whose write end only the host holds, so end of file means the host
process is gone, whichever of its threads started the pods. A parent-death signal
(PR_SET_PDEATHSIG) would instead fire when the forking *thread* exits, would not reach a pod's
own children (it is cleared across fork), and exists on Linux only."""

from __future__ import annotations

import contextlib
import os
import signal
import sys


def watch_message(pgid: int) -> bytes:
    return f"+{pgid}\n".encode()


def forget_message(pgid: int) -> bytes:
    return f"-{pgid}\n".encode()


def main() -> None:
    # Only the host's end decides: a terminal's Ctrl-C or hang-up, or a stop signal sent to a
    # whole service, must not leave the host's pods unguarded while it shuts down.
    for signum in (signal.SIGHUP, signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_IGN)
    groups: set[int] = set()
    for line in sys.stdin.buffer:
        pgid = int(line[1:])
        if line.startswith(b"+"):
            groups.add(pgid)
        else:
            groups.discard(pgid)
    for pgid in groups:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)


if __name__ == "__main__":
    main()
