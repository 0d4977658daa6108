"""A local cluster's kubeconfig on disk: written for kubectl (mode 0600: its token lets anyone
run commands on this machine), and read back for the port the cluster had last time."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import yaml

from app.private_files import write_private_file


def write_kubeconfig(path: Path, kubeconfig: str) -> None:
    """Replaces the file at once, so kubectl never reads half of one."""
    write_private_file(path, kubeconfig, replace=True)


def recorded_port(path: Path) -> int | None:
    """The port of the server a kubeconfig written here names; None without a readable one."""
    try:
        config = yaml.safe_load(path.read_text())
        port = urlsplit(config["clusters"][0]["cluster"]["server"]).port
    except (OSError, yaml.YAMLError, LookupError, TypeError, ValueError):
        return None
    return port if isinstance(port, int) and port > 0 else None
