"""Temporary directories named after the process that made them, so that what a killed process
left behind is removed by the next process that makes the same kind."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path


def make_owned_directory(prefix: str, parent: Path | None = None, *, label: str = "") -> Path:
    """A new directory (mode 0700) named `{prefix}{pid}-{label}` and a random suffix."""
    return Path(tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-{label}", dir=parent))


def remove_stale_directories(prefix: str, parent: Path | None = None) -> None:
    """Directories made with `prefix` by processes that no longer run."""
    for directory in (parent or Path(tempfile.gettempdir())).glob(f"{prefix}*"):
        pid_text = directory.name.removeprefix(prefix).split("-", 1)[0]
        if pid_text.isdigit() and not _alive(int(pid_text)):
            shutil.rmtree(directory, ignore_errors=True)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, under another user
    return True
