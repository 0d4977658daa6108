"""The API's listening socket, bound before Patrol registers or records anything: a port that is
taken must stop a start while it has changed nothing."""

from __future__ import annotations

import socket

from app.startup import StartupError


def listen(host: str, port: int, *, backlog: int = 2048) -> socket.socket:
    """A socket listening on (host, port); port 0 picks a free one (see `getsockname()`)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP lets asyncio set TCP_NODELAY on accepted connections, as it does on the
    # sockets uvicorn makes itself; without it small responses wait ~40 ms on Nagle.
    listener = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
        listener.listen(backlog)
    except OSError as error:
        listener.close()
        raise StartupError(
            f"cannot listen on {host}:{port}: {error.strerror or error}; is another Patrol "
            "running there? Choose another port with PATROL_PORT or --port"
        ) from None
    return listener
