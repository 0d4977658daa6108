"""`kubectl exec` over the websocket channel protocol (v5/v4.channel.k8s.io): a command run
beside a running container's process, in its environment and working directory, its output on
channels 1 and 2 and its outcome as a Status on channel 3. Non-interactive only (no stdin, no TTY).
`attach` and `port-forward` are refused with a Status saying so."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable
from typing import Any, cast
from urllib.parse import parse_qs

from litestar.types import Receive, Scope, Send

from app.localcluster.cluster import Cluster
from app.localcluster.errors import status_body
from app.localcluster.resources import PODS

PROTOCOLS = ("v5.channel.k8s.io", "v4.channel.k8s.io")
STDOUT, STDERR, ERROR = 1, 2, 3
Emit = Callable[[dict[str, Any]], Awaitable[None]]
_PATH = re.compile(r"^/api/v1/namespaces/([^/]+)/pods/([^/]+)/(exec|attach|portforward)$")


def streaming_subresource(path: str) -> tuple[str, str, str] | None:
    """(namespace, pod, subresource) when `path` is one of the pod's streaming subresources."""
    match = _PATH.match(path)
    return None if match is None else (match.group(1), match.group(2), match.group(3))


async def serve_websocket(cluster: Cluster, scope: Scope, receive: Receive, send: Send) -> None:
    emit = cast(Emit, send)
    target = streaming_subresource(scope["path"])
    if target is None:
        await receive()  # websocket.connect
        await emit({"type": "websocket.close", "code": 1008})
        return
    offered = _offered_protocols(scope)
    protocol = next((name for name in PROTOCOLS if name in offered), None)
    await receive()  # websocket.connect
    if protocol is None:
        # An HTTP 403 to the upgrade: the client falls back to SPDY, which is refused plainly.
        await emit({"type": "websocket.close", "code": 1002})
        return
    await emit({"type": "websocket.accept", "subprotocol": protocol})
    namespace, name, subresource = target
    query = {key: values for key, values in parse_qs(scope["query_string"].decode()).items()}
    status = await _run(cluster, namespace, name, subresource, query, emit)
    await emit({"type": "websocket.send", "bytes": bytes([ERROR]) + json.dumps(status).encode()})
    await emit({"type": "websocket.close", "code": 1000})


async def _run(
    cluster: Cluster,
    namespace: str,
    name: str,
    subresource: str,
    query: dict[str, list[str]],
    emit: Emit,
) -> dict[str, Any]:
    if subresource != "exec":
        return status_body(400, "BadRequest", unsupported_streaming(subresource))
    if _flag(query, "stdin") or _flag(query, "tty"):
        return status_body(
            400, "BadRequest", "the local cluster runs non-interactive exec only (no -i, no -t)"
        )
    command = query.get("command") or []
    if not command:
        return status_body(400, "BadRequest", "you must specify at least 1 command")
    pod = cluster.store.get(PODS.name, namespace, name)
    if pod is None:
        return status_body(404, "NotFound", f'pods "{name}" not found')
    worker = cluster.kubelet.worker_for(pod)
    containers = query.get("container") or []
    container = containers[0] if containers else pod["spec"]["containers"][0]["name"]
    runner = None if worker is None else worker.runner(container)
    if runner is None or not runner.is_running():
        return status_body(
            400,
            "BadRequest",
            f'unable to upgrade connection: container not found ("{container}")',
        )
    try:
        process = await asyncio.create_subprocess_exec(
            *command,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=runner.environment,
            cwd=runner.worker.workdir,
        )
    except OSError as error:
        return status_body(
            500,
            "InternalError",
            "Internal error occurred: error executing command in container: failed to exec in "
            f'container: OCI runtime exec failed: exec: "{command[0]}": {error.strerror}',
        )
    assert process.stdout is not None and process.stderr is not None
    await asyncio.gather(
        _pump(process.stdout, STDOUT, emit),
        _pump(process.stderr, STDERR, emit),
    )
    exit_code = await process.wait()
    if exit_code == 0:
        return {"metadata": {}, "status": "Success"}
    return {
        "metadata": {},
        "status": "Failure",
        "message": f"command terminated with non-zero exit code: error executing command "
        f"{command}, exit code {exit_code}",
        "reason": "NonZeroExitCode",
        "details": {"causes": [{"reason": "ExitCode", "message": str(exit_code)}]},
    }


def unsupported_streaming(subresource: str) -> str:
    if subresource == "exec":
        return (
            "Upgrade request required: the local cluster runs exec over websockets only "
            "(kubectl 1.30 or newer)"
        )
    command = {"portforward": "port-forward"}.get(subresource, subresource)
    return (
        f"Upgrade request required: {command} is not supported by the local cluster; its pods "
        "are host processes (connect to the pod IP directly)"
    )


async def _pump(stream: asyncio.StreamReader, channel: int, emit: Emit) -> None:
    while chunk := await stream.read(32 * 1024):
        await emit({"type": "websocket.send", "bytes": bytes([channel]) + chunk})


def _flag(query: dict[str, list[str]], name: str) -> bool:
    return any(value.lower() in ("1", "true") for value in query.get(name, []))


def _offered_protocols(scope: Scope) -> list[str]:
    offered: list[str] = []
    for header, value in scope.get("headers") or ():
        if header == b"sec-websocket-protocol":
            offered += [part.strip() for part in value.decode().split(",")]
    return offered
