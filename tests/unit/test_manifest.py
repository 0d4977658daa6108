import uuid
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

from app.domain.manifest import PodLaunch, build_pod_manifest, pod_name, reporting_url

RUN_ID = uuid.UUID("8d1c7a52-3f0e-4a8e-9d4e-6c1c2b3a4d5e")
CHECK_ID = uuid.UUID("11111111-2222-3333-4444-555555555555")
DEADLINE = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def launch(pod_spec: dict[str, object]) -> PodLaunch:
    return PodLaunch(
        run_id=RUN_ID,
        check_id=CHECK_ID,
        check_name="http-google",
        namespace="monitoring",
        pod_spec=pod_spec,
        deadline=DEADLINE,
        reporting_url=reporting_url("http://patrol:8080/", RUN_ID, "s3cr3t"),
        extra_labels={"team": "sre", "app": "overridden"},
        extra_annotations={"owner": "sre"},
    )


def env_of(container: dict[str, object]) -> dict[str, object]:
    return {variable["name"]: variable for variable in container["env"]}  # type: ignore[index,union-attr,attr-defined]


def test_every_container_and_init_container_gets_the_four_kh_variables() -> None:
    manifest = build_pod_manifest(
        launch(
            {
                "initContainers": [{"name": "init", "image": "busybox"}],
                "containers": [
                    {
                        "name": "a",
                        "image": "x",
                        "env": [{"name": "KH_RUN_UUID", "value": "forged"}],
                    },
                    {"name": "b", "image": "y", "env": [{"name": "KEEP", "value": "1"}]},
                ],
            }
        )
    )
    containers = manifest["spec"]["initContainers"] + manifest["spec"]["containers"]
    for container in containers:
        env = env_of(container)
        assert env["KH_RUN_UUID"]["value"] == str(RUN_ID)
        assert env["KH_CHECK_RUN_DEADLINE"]["value"] == str(int(DEADLINE.timestamp()))
        assert env["KH_REPORTING_URL"]["value"].startswith("http://patrol:8080/check?")
        assert env["KH_POD_NAMESPACE"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.namespace"
    assert [v["name"] for v in containers[1]["env"]].count("KH_RUN_UUID") == 1
    assert env_of(containers[2])["KEEP"]["value"] == "1"


def test_restart_policy_is_forced_to_never_and_the_input_is_not_mutated() -> None:
    spec = {"restartPolicy": "Always", "containers": [{"name": "a", "image": "x"}]}
    manifest = build_pod_manifest(launch(spec))
    assert manifest["spec"]["restartPolicy"] == "Never"
    assert spec["restartPolicy"] == "Always"
    assert "env" not in spec["containers"][0]  # type: ignore[operator]


def test_labels_and_annotations_carry_the_v2_v3_and_patrol_identities() -> None:
    metadata = build_pod_manifest(launch({"containers": [{"name": "a", "image": "x"}]}))["metadata"]
    assert metadata["namespace"] == "monitoring"
    assert metadata["labels"] == {
        "team": "sre",
        "app": "kuberhealthy-check",
        "kuberhealthy-run-id": str(RUN_ID),
        "kuberhealthy-check-name": "http-google",
        "healthcheck": "http-google",
        "kh-run-uuid": str(RUN_ID),
        "app.kubernetes.io/managed-by": "patrol",
        "patrol.dev/run-id": str(RUN_ID),
        "patrol.dev/check-id": str(CHECK_ID),
    }
    assert metadata["annotations"] == {
        "owner": "sre",
        "comcast.github.io/check-name": "http-google",
    }


def test_the_reporting_url_keeps_the_v3_path_and_carries_the_run_and_its_secret() -> None:
    url = urlsplit(reporting_url("http://patrol:8080/", RUN_ID, "s3cr3t"))
    assert url.path == "/check"
    assert parse_qs(url.query) == {"kh-run-uuid": [str(RUN_ID)], "kh-run-secret": ["s3cr3t"]}


def test_pod_names_are_deterministic_per_run_and_valid_dns_labels() -> None:
    assert pod_name("http-google", RUN_ID) == pod_name("http-google", RUN_ID)
    assert pod_name("http-google", RUN_ID) != pod_name("http-google", uuid.uuid4())
    name = pod_name("Weird_Name.With/Chars" + "x" * 80, RUN_ID)
    assert len(name) <= 63
    assert all(character.isalnum() or character == "-" for character in name)
    assert name == name.lower() and not name.startswith("-")
