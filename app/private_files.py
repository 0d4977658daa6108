"""Files only Patrol's own user may read: the secret key and the bootstrap admin token."""

from __future__ import annotations

import os
from pathlib import Path


def write_private_file(path: Path, content: str, *, replace: bool = False) -> None:
    """Write `content` to a file created with mode 0600. Without `replace`, an existing file is an
    error (FileExistsError), so two processes starting together cannot both write it."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    target = path.with_name(f".{path.name}.{os.getpid()}.tmp") if replace else path
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(content)
    if replace:
        os.replace(target, path)


def read_private_file(path: Path) -> str:
    return path.read_text().strip()
