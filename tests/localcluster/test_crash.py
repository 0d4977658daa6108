"""A killed local cluster takes its pods' processes with it: the kubelet's reaper kills their
process groups (a shell's own children included) once the host process is gone."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.processes import children_of, command_line, processes_with, running
from tests.localcluster.conftest import eventually

REPOSITORY = Path(__file__).parents[2]


@pytest.mark.parametrize(
    ("mode", "processes"), [("event-loop", 2), ("thread", 2), ("lost-reaper", 4)]
)
def test_pod_processes_and_their_children_die_soon_after_their_host_is_killed(
    mode: str, processes: int, sleep_marker: str
) -> None:
    host = subprocess.Popen(
        [sys.executable, "-m", "tests.localcluster.crash_host", mode],
        env=os.environ | {"SLEEP_MARKER": sleep_marker},
        cwd=REPOSITORY,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert host.stdout is not None
        while (line := host.stdout.readline()) != "ready\n":  # after its log lines
            assert line, "the host ended before it was ready"
        eventually(lambda: len(processes_with(sleep_marker)) == processes)
        [reaper] = eventually(
            lambda: [pid for pid in children_of(host.pid) if "reaper_process" in command_line(pid)]
        )

        host.kill()
        host.wait()

        eventually(lambda: not processes_with(sleep_marker), timeout=5)
        eventually(lambda: not running(reaper), timeout=5)
    finally:
        if host.poll() is None:
            host.kill()
            host.wait()
        if host.stdout is not None:
            host.stdout.close()
