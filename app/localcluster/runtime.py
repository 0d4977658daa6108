"""How a container becomes a local process: its command line and its environment."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import structlog

from app.localcluster.store import Object

log = structlog.get_logger(__name__)

ImageCommands = Mapping[str, Sequence[str]]

_VAR_REFERENCE = re.compile(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)")


class NoCommandError(Exception):
    pass


@dataclass(frozen=True, slots=True)
class ImageConfig:
    """What an image's config says to run: ENTRYPOINT, then CMD unless the pod gives `args`."""

    entrypoint: tuple[str, ...] = ()
    cmd: tuple[str, ...] = ()


# Official images that have no ENTRYPOINT, so a pod's `args` are the whole argv (as `kubectl run
# t --image=busybox -- sh -c 'echo hi'` expects); their CMD runs when there are no args either.
KNOWN_IMAGES: Mapping[str, ImageConfig] = {
    "busybox": ImageConfig(cmd=("sh",)),
    "alpine": ImageConfig(cmd=("/bin/sh",)),
    "debian": ImageConfig(cmd=("bash",)),
    "ubuntu": ImageConfig(cmd=("/bin/bash",)),
    "python": ImageConfig(cmd=("python3",)),
}


def resolve_command(container: Object, image_commands: ImageCommands) -> list[str]:
    """The argv of a container, as a container runtime builds it: `command` replaces the image's
    ENTRYPOINT and `args` its CMD. The image config comes from `image_commands` (the longest key
    prefixing the image is its ENTRYPOINT, e.g. {"patrol/checker": ["python", "-m", "checker"]}),
    else from `KNOWN_IMAGES`."""
    command = list(container.get("command") or [])
    args = list(container.get("args") or [])
    if command:
        return command + args
    image = container["image"]
    config = _image_config(image, image_commands)
    if config is None:
        raise NoCommandError(
            f'no command specified and image "{image}" is not known to the local cluster: give the '
            "container a command, or map the image in its image_commands"
        )
    argv = [*config.entrypoint, *(args or config.cmd)]
    if not argv:
        raise NoCommandError(f'no command specified for image "{image}"')
    return argv


def _image_config(image: str, image_commands: ImageCommands) -> ImageConfig | None:
    matches = [prefix for prefix in image_commands if image.startswith(prefix)]
    if matches:
        return ImageConfig(entrypoint=tuple(image_commands[max(matches, key=len)]))
    return KNOWN_IMAGES.get(_official_name(image))


def _official_name(image: str) -> str:
    """`busybox`, `busybox:1.36`, `docker.io/library/busybox@sha256:…` → `busybox`; images from
    other registries or namespaces are not official images and give ''."""
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    if ":" in last:
        name = name[: len(name) - len(last)] + last.split(":", 1)[0]
    for prefix in ("docker.io/library/", "index.docker.io/library/", "library/"):
        if name.startswith(prefix):
            return name.removeprefix(prefix)
    return name if "/" not in name else ""


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
