"""`applyManifests` and `kuberhealthyManifests`: Kuberhealthy's example checks in and out."""

from __future__ import annotations

from typing import Any

import pytest

from app.domain.access import Role
from tests.api.builders import (
    CREATE_CHECK,
    CREATE_CLUSTER,
    check_input,
    cluster_input,
    error_codes,
)
from tests.api.conftest import ExecuteAs
from tests.kuberhealthy.examples import ALL, DEPLOYMENT_CHECK, HTTP_CHECK, KH_JOB, V3_HEALTH_CHECK

APPLY = """
mutation($files: [ManifestFileInput!], $yaml: String, $dryRun: Boolean! = false,
         $prune: Boolean! = false, $partial: Boolean! = false, $source: String! = "repo") {
  applyManifests(files: $files, yaml: $yaml, dryRun: $dryRun, prune: $prune, partial: $partial,
                 source: $source) {
    applied
    documents { action file index kind namespace name checkId diff notes errorField errorMessage }
  }
}
"""
EXPORT = "query($format: ManifestFormat!, $source: String) { kuberhealthyManifests(format: $format, source: $source) }"
CHECKS = """
query { checks(first: 100) { nodes { name namespace version runInterval timeout podSpec
  extraLabels extraAnnotations labels source clusters { name } } } }
"""
RUNS = "query { runs(first: 10) { nodes { trigger check { name } cluster { name } } } }"


def files(*paths: Any, **replacements: str) -> list[dict[str, str]]:
    result = []
    for path in paths:
        text = path.read_text()
        for old, new in replacements.items():
            text = text.replace(old.replace("__", ": "), new)
        result.append({"name": path.name, "yaml": text})
    return result


def actions(data: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(d["action"], d["name"]) for d in data["applyManifests"]["documents"]]


async def checks_by_name(gql: Any) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in (await gql(CHECKS))["checks"]["nodes"]}


@pytest.fixture
async def cluster(gql: Any) -> str:
    created = await gql(CREATE_CLUSTER, {"input": cluster_input("home")})
    return str(created["createCluster"]["id"])


async def test_kuberhealthys_example_checks_import_cleanly(gql: Any, cluster: str) -> None:
    data = await gql(APPLY, {"files": files(*ALL)})

    assert data["applyManifests"]["applied"] is True
    assert actions(data) == [
        ("CREATED", "http"),
        ("CREATED", "deployment"),
        ("SKIPPED", None),
        ("SKIPPED", None),
        ("CREATED", "kh-test-job"),
        ("CREATED", "example-check"),
    ]
    checks = await checks_by_name(gql)
    assert checks["http"]["runInterval"] == "5m0s" and checks["http"]["timeout"] == "5m0s"
    assert checks["http"]["namespace"] == "kuberhealthy"
    assert checks["deployment"]["extraLabels"] == {"testLabel": "testLabel"}
    assert checks["deployment"]["podSpec"]["serviceAccountName"] == "deployment-sa"
    assert checks["kh-test-job"]["runInterval"] is None
    assert checks["kh-test-job"]["namespace"] == "default"
    assert checks["example-check"]["extraAnnotations"] == {"owner": "sre@example.com"}
    assert all(c["clusters"] == [{"name": "home"}] for c in checks.values())
    # The job runs once, now; the periodic checks wait for the scheduler.
    runs = (await gql(RUNS))["runs"]["nodes"]
    assert runs == [
        {"trigger": "API", "check": {"name": "kh-test-job"}, "cluster": {"name": "home"}}
    ]


async def test_reapplying_the_same_files_changes_nothing(gql: Any, cluster: str) -> None:
    await gql(APPLY, {"files": files(*ALL)})
    before = await checks_by_name(gql)

    again = await gql(APPLY, {"files": files(*ALL)})

    assert {action for action, name in actions(again) if name} == {"UNCHANGED"}
    assert all(d["diff"] == "" for d in again["applyManifests"]["documents"])
    assert await checks_by_name(gql) == before
    assert len((await gql(RUNS))["runs"]["nodes"]) == 1


async def test_editing_one_check_updates_only_that_check(gql: Any, cluster: str) -> None:
    await gql(APPLY, {"files": files(*ALL)})
    before = await checks_by_name(gql)

    edited = await gql(APPLY, {"files": files(*ALL, runInterval__30m="runInterval: 1h")})

    assert [a for a in actions(edited) if a[0] != "SKIPPED"] == [
        ("UNCHANGED", "http"),
        ("UPDATED", "deployment"),
        ("UNCHANGED", "kh-test-job"),
        ("UNCHANGED", "example-check"),
    ]
    [deployment] = [d for d in edited["applyManifests"]["documents"] if d["name"] == "deployment"]
    assert "-  runInterval: 30m\n+  runInterval: 1h\n" in deployment["diff"]
    after = await checks_by_name(gql)
    assert after["deployment"]["version"] == before["deployment"]["version"] + 1
    assert {n: c for n, c in after.items() if n != "deployment"} == {
        n: c for n, c in before.items() if n != "deployment"
    }


async def test_an_edit_shows_in_the_diff(gql: Any, cluster: str) -> None:
    await gql(APPLY, {"files": files(DEPLOYMENT_CHECK)})
    edited = await gql(
        APPLY,
        {"files": files(DEPLOYMENT_CHECK, runInterval__30m="runInterval: 1h"), "dryRun": True},
    )
    [check] = [d for d in edited["applyManifests"]["documents"] if d["name"] == "deployment"]
    assert check["action"] == "UPDATED"
    assert "-  runInterval: 30m\n+  runInterval: 1h\n" in check["diff"]
    assert edited["applyManifests"]["applied"] is False
    assert (await checks_by_name(gql))["deployment"]["runInterval"] == "30m0s"


async def test_a_dry_run_shows_the_diff_and_writes_nothing(gql: Any, cluster: str) -> None:
    data = await gql(APPLY, {"files": files(HTTP_CHECK), "dryRun": True})

    assert data["applyManifests"]["applied"] is False
    [http] = data["applyManifests"]["documents"]
    assert http["action"] == "CREATED"
    assert http["diff"].startswith("--- /dev/null\n+++ kuberhealthy/http (applied)\n")
    assert "+  runInterval: 5m\n" in http["diff"]
    assert await checks_by_name(gql) == {}


async def test_an_invalid_document_is_named_by_file_index_and_field_and_nothing_is_applied(
    gql: Any, cluster: str
) -> None:
    broken = files(V3_HEALTH_CHECK, **{"image__curlimages/curl:8.5.0": "image: ''"})
    broken[0]["name"] = "broken.yaml"
    data = await gql(APPLY, {"files": files(HTTP_CHECK) + broken})

    assert data["applyManifests"]["applied"] is False
    [invalid] = [d for d in data["applyManifests"]["documents"] if d["action"] == "INVALID"]
    assert (invalid["file"], invalid["index"], invalid["errorField"]) == (
        "broken.yaml",
        0,
        "spec.podSpec.spec.containers[0].image",
    )
    assert await checks_by_name(gql) == {}

    partial = await gql(APPLY, {"files": files(HTTP_CHECK) + broken, "partial": True})
    assert partial["applyManifests"]["applied"] is True
    assert list(await checks_by_name(gql)) == ["http"]


async def test_service_validation_errors_point_into_the_manifest(gql: Any, cluster: str) -> None:
    data = await gql(
        APPLY, {"files": files(HTTP_CHECK, namespace__kuberhealthy="namespace: Bad_NS")}
    )
    [http] = data["applyManifests"]["documents"]
    assert (http["action"], http["index"], http["errorField"]) == (
        "INVALID",
        0,
        "metadata.namespace",
    )


async def test_a_check_defined_twice_is_invalid_the_second_time(gql: Any, cluster: str) -> None:
    data = await gql(APPLY, {"files": files(HTTP_CHECK, HTTP_CHECK)})
    second = data["applyManifests"]["documents"][1]
    assert second["action"] == "INVALID" and second["errorField"] == "metadata.name"
    assert second["errorMessage"] == "kuberhealthy/http is already defined at http-check.yaml[0]"


async def test_prune_deletes_only_checks_of_the_same_source_that_are_gone(
    gql: Any, cluster: str
) -> None:
    await gql(APPLY, {"files": files(HTTP_CHECK, DEPLOYMENT_CHECK)})
    await gql(APPLY, {"files": files(KH_JOB), "source": "elsewhere"})

    without_prune = await gql(APPLY, {"files": files(HTTP_CHECK)})
    assert actions(without_prune) == [("UNCHANGED", "http")]
    assert sorted(await checks_by_name(gql)) == ["deployment", "http", "kh-test-job"]

    dry = await gql(APPLY, {"files": files(HTTP_CHECK), "prune": True, "dryRun": True})
    assert actions(dry) == [("UNCHANGED", "http"), ("DELETED", "deployment")]
    assert sorted(await checks_by_name(gql)) == ["deployment", "http", "kh-test-job"]

    pruned = await gql(APPLY, {"files": files(HTTP_CHECK), "prune": True})
    assert pruned["applyManifests"]["applied"] is True
    assert actions(pruned) == [("UNCHANGED", "http"), ("DELETED", "deployment")]
    assert sorted(await checks_by_name(gql)) == ["http", "kh-test-job"]


@pytest.mark.parametrize("manifest_format", ["V2", "V3"])
async def test_apply_export_apply_is_a_no_op(gql: Any, cluster: str, manifest_format: str) -> None:
    await gql(APPLY, {"files": files(*ALL)})
    before = await checks_by_name(gql)

    exported = (await gql(EXPORT, {"format": manifest_format, "source": "repo"}))[
        "kuberhealthyManifests"
    ]
    again = await gql(APPLY, {"yaml": exported})

    assert {a for a, _ in actions(again)} == {"UNCHANGED"} and len(actions(again)) == 4
    assert await checks_by_name(gql) == before


async def test_a_viewer_may_export_but_not_apply(execute_as: ExecuteAs) -> None:
    execute = await execute_as(Role.VIEWER)
    refused = await execute(APPLY, {"files": files(HTTP_CHECK)})
    assert error_codes(refused) == [("FORBIDDEN", None)]
    exported = await execute(EXPORT, {"format": "V3"})
    assert exported.errors is None


async def test_a_check_made_through_the_api_is_taken_over_but_never_pruned(
    gql: Any, cluster: str
) -> None:
    await gql(CREATE_CHECK, {"input": check_input("ping", [cluster])})
    http = files(HTTP_CHECK)
    taken = await gql(APPLY, {"files": http, "prune": True})
    assert actions(taken) == [("CREATED", "http")]
    assert sorted(await checks_by_name(gql)) == ["http", "ping"]
    assert (await checks_by_name(gql))["ping"]["source"] is None

    as_manifest = (
        HTTP_CHECK.read_text()
        .replace("name: http\n", "name: ping\n")
        .replace("namespace: kuberhealthy", "namespace: patrol")
    )
    adopted = await gql(APPLY, {"yaml": as_manifest})
    [document] = adopted["applyManifests"]["documents"]
    assert document["action"] == "UPDATED"
    assert "taken over from the API" in document["notes"][-1]
    assert (await checks_by_name(gql))["ping"]["source"] == "repo"
