"""`patrol apply` and `patrol export`: Kuberhealthy manifests in and out of a running Patrol."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import Progress

from app.cli_client import ClientError, PatrolClient, ServerOption, TokenOption, client, fail
from app.domain.kuberhealthy.export import ManifestFormat
from app.domain.kuberhealthy.manifests import parse_stream

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
# From this many files on, reading them shows a progress bar.
PROGRESS_FROM_FILES = 20
# The API takes requests of at most this size (app.asgi.MAX_REQUEST_BYTES).
API_MAX_REQUEST_BYTES = 1024 * 1024
_ORDER = ("created", "updated", "unchanged", "deleted", "skipped", "invalid")

APPLY = """
mutation Apply($files: [ManifestFileInput!], $dryRun: Boolean!, $prune: Boolean!,
               $partial: Boolean!, $source: String!, $clusterIds: [ID!]) {
  applyManifests(files: $files, dryRun: $dryRun, prune: $prune, partial: $partial,
                 source: $source, clusterIds: $clusterIds) {
    applied
    documents { action file index item kind namespace name diff notes errorField errorMessage }
  }
}
"""
CLUSTER = "query Cluster($name: String!) { cluster(name: $name) { id } }"
EXPORT = """
query Export($format: ManifestFormat!, $source: String) {
  kuberhealthyManifests(format: $format, source: $source)
}
"""


def register(cli: typer.Typer, data_dir: Callable[[], Path]) -> None:
    @cli.command()
    def apply(
        filename: Annotated[
            list[str],
            typer.Option(
                "-f",
                "--filename",
                help="A YAML file, a directory (its .yaml/.yml/.json files, recursively) or - "
                "for stdin. Repeatable.",
            ),
        ],
        dry_run: Annotated[
            bool, typer.Option("--dry-run", help="Print what would change; change nothing.")
        ] = False,
        prune: Annotated[
            bool,
            typer.Option(
                "--prune", help="Delete checks applied from the same source that are gone."
            ),
        ] = False,
        partial: Annotated[
            bool,
            typer.Option("--partial", help="Apply the valid documents even if some are invalid."),
        ] = False,
        source: Annotated[
            str | None,
            typer.Option(
                help="Name what is applied, for --prune; default: the paths given, resolved."
            ),
        ] = None,
        cluster: Annotated[
            list[str] | None,
            typer.Option(help="A cluster new checks run in (repeatable); default: every cluster."),
        ] = None,
        server: ServerOption = "http://127.0.0.1:8080",
        token: TokenOption = None,
    ) -> None:
        """Create or update checks from Kuberhealthy manifests (KuberhealthyCheck, KuberhealthyJob,
        HealthCheck). Re-applying the same files changes nothing."""
        try:
            patrol = client(server, token, data_dir())
            files = _read_all(filename)
            cluster_ids = None if not cluster else [_cluster_id(patrol, name) for name in cluster]
            variables = {
                "files": files,
                "dryRun": dry_run,
                "prune": prune,
                "partial": partial,
                "source": source or _default_source(filename),
                "clusterIds": cluster_ids,
            }
            _refuse_oversized(variables)
            with Console(stderr=True).status(f"applying {len(files)} file(s)"):
                result = patrol.execute(APPLY, variables)["applyManifests"]
        except ClientError as error:
            raise fail(str(error)) from None
        except OSError as error:
            raise fail(f"cannot read {error.filename}: {error.strerror}") from None
        raise typer.Exit(code=_report(result, dry_run=dry_run, partial=partial))

    @cli.command("export")
    def export(
        format: Annotated[
            ManifestFormat, typer.Option(help="v2 (KuberhealthyCheck/Job) or v3 (HealthCheck).")
        ] = ManifestFormat.V3,
        source: Annotated[
            str | None, typer.Option(help="Only the checks applied from this source.")
        ] = None,
        output: Annotated[
            Path | None, typer.Option("-o", "--output", help="Write here instead of stdout.")
        ] = None,
        server: ServerOption = "http://127.0.0.1:8080",
        token: TokenOption = None,
    ) -> None:
        """Write checks as Kuberhealthy YAML; `patrol apply -f` of it changes nothing."""
        try:
            patrol = client(server, token, data_dir())
            variables = {"format": format.name, "source": source}
            text = str(patrol.execute(EXPORT, variables)["kuberhealthyManifests"])
        except ClientError as error:
            raise fail(str(error)) from None
        if output is None:
            sys.stdout.write(text)
        else:
            output.write_text(text)


def _manifest_paths(given: str) -> Iterator[tuple[str, Path | None]]:
    if given == "-":
        yield "-", None
        return
    path = Path(given)
    if path.is_dir():
        for found in sorted(path.rglob("*")):
            if found.is_file() and found.suffix in MANIFEST_SUFFIXES:
                yield str(found), found
    else:
        yield given, path


def _read_all(given: list[str]) -> list[dict[str, str]]:
    paths = [entry for name in given for entry in _manifest_paths(name)]
    files: list[dict[str, str]] = []
    documents = 0
    console = Console(stderr=True)
    with Progress(
        console=console, transient=True, disable=len(paths) < PROGRESS_FROM_FILES
    ) as progress:
        task = progress.add_task("reading manifests", total=len(paths))
        for name, path in paths:
            text = sys.stdin.read() if path is None else path.read_text()
            # Read here too, so a large directory's count shows before the server's answer.
            documents += len(parse_stream(text, name))
            files.append({"name": name, "yaml": text})
            progress.advance(task)
    if len(paths) >= PROGRESS_FROM_FILES:
        console.print(f"read {len(paths)} files, {documents} documents")
    return files


def _refuse_oversized(variables: dict[str, Any]) -> None:
    size = len(json.dumps({"query": APPLY, "variables": variables}).encode())
    if size > API_MAX_REQUEST_BYTES:
        raise ClientError(
            f"these manifests make a request of {size} bytes; Patrol takes at most "
            f"{API_MAX_REQUEST_BYTES} per apply: apply them in parts, each with its own --source"
        )


def _default_source(given: list[str]) -> str:
    return ",".join("stdin" if name == "-" else str(Path(name).resolve()) for name in given)


def _cluster_id(patrol: PatrolClient, name: str) -> str:
    found = patrol.execute(CLUSTER, {"name": name})["cluster"]
    if found is None:
        raise ClientError(f"no cluster named {name!r}")
    return str(found["id"])


def _report(result: dict[str, Any], *, dry_run: bool, partial: bool) -> int:
    counts: dict[str, int] = {}
    for document in result["documents"]:
        action = str(document["action"]).lower()
        counts[action] = counts.get(action, 0) + 1
        item = "" if document["item"] is None else f".items[{document['item']}]"
        where = f"{document['file']}[{document['index']}]{item} " if document["file"] else ""
        what = " ".join(
            part
            for part in (
                document["kind"],
                f"{document['namespace']}/{document['name']}" if document["name"] else None,
            )
            if part
        )
        if action == "invalid":
            field = f"{document['errorField']}: " if document["errorField"] else ""
            typer.secho(
                f"{where}{what}: invalid: {field}{document['errorMessage']}",
                err=True,
                fg=typer.colors.RED,
            )
        else:
            typer.echo(f"{where}{what} {action}".strip())
        for note in document["notes"]:
            typer.echo(f"  note: {note}")
        if dry_run and document["diff"]:
            typer.echo(document["diff"].rstrip("\n"))
    summary = (
        ", ".join(f"{counts[action]} {action}" for action in _ORDER if action in counts)
        or "no documents"
    )
    if dry_run:
        summary += " (dry run: nothing applied)"
    elif not result["applied"]:
        summary += " (nothing applied: fix the invalid documents, or use --partial)"
    elif partial and counts.get("invalid"):
        summary += " (the valid documents were applied)"
    typer.echo(summary)
    return 1 if counts.get("invalid") else 0
