"""`patrol apply` and `patrol export` through the real `patrol` command, against a running API,
with an API token, as a team moving from Kuberhealthy would run them."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from app.asgi import MAX_REQUEST_BYTES
from app.cli_manifests import API_MAX_REQUEST_BYTES
from app.domain.access import Role
from tests.fixtures.access import issue_api_token
from tests.fixtures.stack import PatrolStack, graphql
from tests.kuberhealthy.examples import ALL, HTTP_CHECK, MANIFESTS, V3_HEALTH_CHECK

CHECKS = "query { checks(first: 100) { nodes { name version runInterval } } }"


async def patrol(
    stack: PatrolStack, token: str, *arguments: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("PATROL_")}
    environment |= {"PATROL_SERVER": stack.api_url, "PATROL_TOKEN": token}
    # The API runs on this test's event loop: wait for the command in a thread.
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "app.cli", *arguments],
        env=environment,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


async def checks(stack: PatrolStack) -> dict[str, dict[str, object]]:
    body = await graphql(stack, CHECKS)
    return {node["name"]: node for node in body["data"]["checks"]["nodes"]}


@pytest.fixture
async def editor(api_stack: PatrolStack) -> str:
    return await issue_api_token(
        api_stack.runtime.session_factory, api_stack.runtime.keyring, Role.EDITOR, "ci"
    )


@pytest.fixture
def examples(tmp_path: Path) -> Path:
    directory = tmp_path / "checks"
    directory.mkdir()
    for path in ALL:
        shutil.copy(path, directory / path.name)
    return directory


async def test_a_directory_of_kuberhealthy_checks_applies_once_and_then_changes_nothing(
    api_stack: PatrolStack, editor: str, examples: Path
) -> None:
    first = await patrol(api_stack, editor, "apply", "-f", str(examples))
    assert first.returncode == 0, first.stderr
    lines = first.stdout.splitlines()
    assert f"{examples}/http-check.yaml[0] KuberhealthyCheck kuberhealthy/http created" in lines
    assert f"{examples}/khjob.yaml[0] KuberhealthyJob default/kh-test-job created" in lines
    assert f"{examples}/deployment-check.yaml[1] RoleBinding skipped" in lines
    assert "  note: skipped: v1/ServiceAccount is not a Kuberhealthy check" in lines
    assert lines[-1] == "4 created, 2 skipped"
    before = await checks(api_stack)

    again = await patrol(api_stack, editor, "apply", "-f", str(examples))
    assert again.returncode == 0 and again.stdout.splitlines()[-1] == "4 unchanged, 2 skipped"
    assert await checks(api_stack) == before


async def test_a_dry_run_prints_the_diff_and_an_invalid_document_stops_everything(
    api_stack: PatrolStack, editor: str, examples: Path
) -> None:
    assert (await patrol(api_stack, editor, "apply", "-f", str(examples))).returncode == 0
    http = examples / "http-check.yaml"
    http.write_text(http.read_text().replace("runInterval: 5m", "runInterval: 20m"))

    dry = await patrol(api_stack, editor, "apply", "-f", str(examples), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert (
        "-  runInterval: 5m\n-  timeout: 5m\n+  runInterval: 20m\n+  timeout: 10m\n" in dry.stdout
    )
    assert dry.stdout.splitlines()[-1] == (
        "1 updated, 3 unchanged, 2 skipped (dry run: nothing applied)"
    )

    broken = examples / "zz-broken.yaml"
    broken.write_text(
        V3_HEALTH_CHECK.read_text()
        .replace("example-check", "other")
        .replace("image: curlimages/curl:8.5.0", "image: ''")
    )
    refused = await patrol(api_stack, editor, "apply", "-f", str(examples))
    assert refused.returncode == 1
    assert (
        f"{broken}[0] HealthCheck kuberhealthy/other: invalid: "
        "spec.podSpec.spec.containers[0].image: required"
    ) in refused.stderr
    assert "(nothing applied: fix the invalid documents, or use --partial)" in refused.stdout
    assert (await checks(api_stack))["http"]["runInterval"] == "5m0s"

    partial = await patrol(api_stack, editor, "apply", "-f", str(examples), "--partial")
    assert partial.returncode == 1
    assert (await checks(api_stack))["http"]["runInterval"] == "20m0s"


async def test_prune_and_an_export_round_trip(
    api_stack: PatrolStack, editor: str, examples: Path, tmp_path: Path
) -> None:
    source = ("--source", "platform-checks")
    assert (await patrol(api_stack, editor, "apply", "-f", str(examples), *source)).returncode == 0

    exported = tmp_path / "exported.yaml"
    export = await patrol(api_stack, editor, "export", "--format", "v2", "-o", str(exported))
    assert export.returncode == 0, export.stderr
    assert exported.read_text().count("kind: KuberhealthyCheck") == 3
    assert exported.read_text().count("kind: KuberhealthyJob") == 1
    round_trip = await patrol(api_stack, editor, "apply", "-f", str(exported), *source)
    assert round_trip.stdout.splitlines()[-1] == "4 unchanged"

    (examples / "khjob.yaml").unlink()
    pruned = await patrol(api_stack, editor, "apply", "-f", str(examples), "--prune", *source)
    assert pruned.returncode == 0, pruned.stderr
    assert "default/kh-test-job deleted" in pruned.stdout
    assert sorted(await checks(api_stack)) == ["deployment", "example-check", "http"]


async def test_stdin_is_read_and_a_viewer_is_refused(api_stack: PatrolStack, editor: str) -> None:
    applied = await patrol(api_stack, editor, "apply", "-f", "-", stdin=HTTP_CHECK.read_text())
    assert applied.returncode == 0, applied.stderr
    assert applied.stdout.startswith("-[0] KuberhealthyCheck kuberhealthy/http created\n")

    viewer = await issue_api_token(
        api_stack.runtime.session_factory, api_stack.runtime.keyring, Role.VIEWER, "viewer"
    )
    refused = await patrol(api_stack, viewer, "apply", "-f", str(HTTP_CHECK))
    assert refused.returncode == 1
    assert "error: this operation needs the editor role (FORBIDDEN)" in refused.stderr
    bad_token = await patrol(api_stack, "patrol_nope", "export")
    assert bad_token.returncode == 1 and "UNAUTHENTICATED" in bad_token.stderr


async def test_a_large_directory_shows_its_progress(
    api_stack: PatrolStack, editor: str, tmp_path: Path
) -> None:
    directory = tmp_path / "many"
    directory.mkdir()
    template = (MANIFESTS / "http-check.yaml").read_text()
    for number in range(25):
        (directory / f"http-{number:02}.yaml").write_text(
            template.replace("name: http\n", f"name: http-{number}\n")
        )
    applied = await patrol(api_stack, editor, "apply", "-f", str(directory))
    assert applied.returncode == 0, applied.stderr
    assert "read 25 files, 25 documents" in applied.stderr
    assert applied.stdout.splitlines()[-1] == "25 created"


def test_manifests_too_large_for_one_request_are_refused_before_sending(tmp_path: Path) -> None:
    assert API_MAX_REQUEST_BYTES == MAX_REQUEST_BYTES
    big = tmp_path / "big.yaml"
    big.write_text(HTTP_CHECK.read_text() + "# " + "x" * MAX_REQUEST_BYTES + "\n")
    environment = {key: value for key, value in os.environ.items() if not key.startswith("PATROL_")}
    # Nothing listens there: the refusal comes first.
    environment |= {"PATROL_SERVER": "http://127.0.0.1:9", "PATROL_TOKEN": "patrol_x"}
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "apply", "-f", str(big)],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "apply them in parts, each with its own --source" in result.stderr
