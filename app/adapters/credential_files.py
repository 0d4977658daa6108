"""Certificate material the Kubernetes client can only read from files: kept in a directory only
this process's user can enter, removed when the process stops, and removed at the next start when
the process was killed."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

from app.owned_directories import make_owned_directory, remove_stale_directories

PREFIX = "patrol-credentials-"


class CredentialFiles:
    def __init__(self, parent: Path | None = None) -> None:
        self._parent = parent
        self._directory: Path | None = None

    def path_for(self, content: bytes) -> str:
        """A file holding `content` (mode 0600), written once per distinct content."""
        if self._directory is None:
            remove_stale_directories(PREFIX, self._parent)
            self._directory = make_owned_directory(PREFIX, self._parent)
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
