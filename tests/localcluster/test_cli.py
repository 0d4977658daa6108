"""`patrol local-cluster`, run as a user runs it: the venv's `patrol` in a subprocess."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

PATROL = str(Path(sys.executable).with_name("patrol"))
REPOSITORY = Path(__file__).parents[2]


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.10", ""])
def test_the_cli_refuses_a_non_loopback_host_without_expose(host: str) -> None:
    done = subprocess.run(
        [PATROL, "local-cluster", "--host", host, "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPOSITORY,
    )

    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        f"error: {host!r} is not a loopback address, and whoever reaches the local cluster can "
        "run commands on this machine; pass --expose to listen there anyway."
    ]
