"""`patrol local-cluster`: run the local cluster standalone until Ctrl-C."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Annotated

import typer

from app.localcluster.kubeconfig import kubeconfig_yaml
from app.localcluster.kubeconfig_file import write_kubeconfig
from app.localcluster.listen import loopback_address
from app.localcluster.server import LocalCluster


def local_cluster(
    host: str = typer.Option(
        "127.0.0.1", help="Address to listen on; a loopback address unless --expose."
    ),
    port: int = typer.Option(6443, help="Port to listen on (0 picks a free one)."),
    expose: bool = typer.Option(
        False,
        "--expose",
        help="Allow a non-loopback --host: anyone who can reach it and holds the token can run "
        "commands on this machine.",
    ),
    kubeconfig: Annotated[
        Path | None,
        typer.Option(help="Write the kubeconfig to this file (mode 0600) instead of printing it."),
    ] = None,
) -> None:
    """Run a local Kubernetes API emulator whose kubelet runs pod commands as local processes."""
    if not expose and loopback_address(host) is None:
        typer.secho(
            f"error: {host!r} is not a loopback address, and whoever reaches the local cluster "
            "can run commands on this machine; pass --expose to listen there anyway.",
            err=True,
            fg=typer.colors.RED,
        )
        raise typer.Exit(code=2)
    asyncio.run(_serve(host, port, expose, kubeconfig))


async def _serve(host: str, port: int, expose: bool, kubeconfig_path: Path | None) -> None:
    # HTTPS: kubectl sends a kubeconfig's token to TLS servers only.
    cluster = LocalCluster(tls=True)
    url = await cluster.start(host, port, expose=expose)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    typer.echo(f"Local cluster listening on {url}")
    typer.echo(f"Fault injection: POST {url}/_local/faults")
    kubeconfig = kubeconfig_yaml(
        url, cluster.token, certificate_authority=cluster.certificate_authority
    )
    if kubeconfig_path is None:
        typer.echo("kubeconfig:\n")
        typer.echo(kubeconfig)
    else:
        write_kubeconfig(kubeconfig_path, kubeconfig)
        typer.echo(f"kubeconfig written to {kubeconfig_path} (export KUBECONFIG={kubeconfig_path})")
    try:
        await stop.wait()
    finally:
        await cluster.stop()
