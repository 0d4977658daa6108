"""How a container becomes a local process: its command line and its environment."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping, Sequence
from typing import Any

import structlog

from app.localcluster.store import Object

log = structlog.get_logger(__name__)

ImageCommands = Mapping[str, Sequence[str]]

_VAR_REFERENCE = re.compile(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)")


class NoCommandError(Exception):
    pass


def resolve_command(container: Object, image_commands: ImageCommands) -> list[str]:
    """`command` + `args`; without a `command`, the longest `image_commands` key prefixing the image
    supplies the entrypoint (e.g. {"patrol/checker": ["python", "-m", "checker"]})."""
    command = list(container.get("command") or [])
    args = list(container.get("args") or [])
    if not command:
        image = container["image"]
        matches = [prefix for prefix in image_commands if image.startswith(prefix)]
        if not matches:
            raise NoCommandError(
                f'no command specified and image "{image}" has no entry in the local cluster\'s image_commands'
            )
        command = list(image_commands[max(matches, key=len)])
    if not command and not args:
        raise NoCommandError(f'no command specified for image "{container["image"]}"')
    return command + args


def expand(text: str, env: Mapping[str, str]) -> str:
    """Kubernetes' `$(VAR)` expansion: unknown references stay as written, `$$` escapes."""

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        return env.get(match.group(1), match.group(0))

    return _VAR_REFERENCE.sub(replace, text)


def base_environment(home: str) -> dict[str, str]:
    # Prepend the interpreter's directory so `python` in a pod resolves to Patrol's own venv.
    path = os.pathsep.join(
        [os.path.dirname(sys.executable), os.environ.get("PATH", "/usr/bin:/bin")]
    )
    return {"PATH": path, "HOME": home, "LANG": "C.UTF-8"}


def field_value(pod: Object, field_path: str) -> str | None:
    metadata = pod["metadata"]
    status = pod.get("status") or {}
    simple: dict[str, Any] = {
        "metadata.name": metadata.get("name"),
        "metadata.namespace": metadata.get("namespace"),
        "metadata.uid": metadata.get("uid"),
        "spec.nodeName": pod["spec"].get("nodeName"),
        "spec.serviceAccountName": pod["spec"].get("serviceAccountName"),
        "status.podIP": status.get("podIP"),
        "status.hostIP": status.get("hostIP"),
    }
    if field_path in simple:
        value = simple[field_path]
        return "" if value is None else str(value)
    match = re.fullmatch(r"metadata\.(labels|annotations)\['(.+)'\]", field_path)
    if match:
        return str((metadata.get(match.group(1)) or {}).get(match.group(2), ""))
    return None


def container_environment(pod: Object, container: Object, home: str) -> dict[str, str]:
    env = base_environment(home)
    env["HOSTNAME"] = pod["metadata"]["name"]
    for variable in container.get("env") or []:
        name = variable.get("name")
        if not name:
            continue
        if "value" in variable or not variable.get("valueFrom"):
            env[name] = expand(str(variable.get("value", "")), env)
            continue
        source = variable["valueFrom"]
        field_ref = source.get("fieldRef")
        if field_ref:
            value = field_value(pod, field_ref.get("fieldPath", ""))
            if value is None:
                log.warning(
                    "unsupported fieldRef skipped", env=name, field_path=field_ref.get("fieldPath")
                )
            else:
                env[name] = value
        else:
            log.warning(
                "env source not supported by the local cluster, variable skipped",
                env=name,
                source=sorted(source),
            )
    return env


def command_line(
    pod: Object, container: Object, env: Mapping[str, str], image_commands: ImageCommands
) -> list[str]:
    return [expand(part, env) for part in resolve_command(container, image_commands)]
