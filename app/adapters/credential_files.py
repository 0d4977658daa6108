"""Certificate material the Kubernetes client can only read from files: kept in a directory only
this process's user can enter, removed when the process stops, and removed at the next start when
the process was killed."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

PREFIX = "patrol-credentials-"


class CredentialFiles:
    def __init__(self, parent: Path | None = None) -> None:
        self._parent = parent or Path(tempfile.gettempdir())
        self._directory: Path | None = None

    def path_for(self, content: bytes) -> str:
        """A file holding `content` (mode 0600), written once per distinct content."""
        if self._directory is None:
            remove_stale_directories(self._parent)
            self._directory = Path(
                tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-", dir=self._parent)
            )
        path = self._directory / hashlib.sha256(content).hexdigest()
        if not path.exists():
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(content)
        return str(path)

    def close(self) -> None:
        if self._directory is not None:
            shutil.rmtree(self._directory, ignore_errors=True)
            self._directory = None


def remove_stale_directories(parent: Path) -> None:
    """Directories left by Patrol processes that no longer run."""
    for directory in parent.glob(f"{PREFIX}*"):
        pid_text = directory.name.removeprefix(PREFIX).split("-", 1)[0]
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
