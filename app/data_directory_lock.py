"""One `patrol serve` per data directory: the embedded database, Redis and local cluster there
are that process's to run and register, and a second one would take them over from the first."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from app.startup import StartupError

LOCK_FILE_NAME = "serve.lock"


@contextlib.contextmanager
def hold_data_directory(data_dir: Path) -> Iterator[None]:
    """Held until the context ends; the kernel releases it however the process dies, so a killed
    Patrol never leaves a stale lock behind (the file itself stays)."""
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = data_dir / LOCK_FILE_NAME
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(descriptor)
            raise StartupError(
                f"another `patrol serve`{holder} is running on the data directory "
                f"{data_dir.resolve()}: stop it first, or give this one its own PATROL_DATA_DIR"
            ) from None
        os.ftruncate(descriptor, 0)
        os.write(descriptor, f"{os.getpid()}\n".encode())
        yield
    finally:
        os.close(descriptor)


def _holder(descriptor: int) -> str:
    """" (pid N)" as the holder wrote it, or nothing if it has not yet."""
    content = os.pread(descriptor, 32, 0).decode(errors="replace").strip()
    return f" (pid {content})" if content.isdigit() else ""
