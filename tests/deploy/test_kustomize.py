"""deploy/kustomize renders with the pinned kubectl into objects that Kubernetes accepts, and
those objects run Patrol the way the README says: labelled, bounded, unprivileged and probed."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import kubernetes_validate  # type: ignore[import-untyped]
import pytest

from app.domain.manifest import MANAGED_BY, MANAGED_BY_LABEL
from app.settings import Settings
from tests.deploy.dockerfile import final_stage_user, parse_dockerfile
from tests.deploy.paths import DEPLOY, REPOSITORY
from tests.deploy.rendering import (
    KUBERNETES_VERSION,
    KUSTOMIZE,
    Manifest,
    Rendered,
    containers,
    kustomization_directories,
    render,
    string_data,
    workloads,
)

OVERLAYS = ("overlays/embedded-postgres", "overlays/external-database")
COMMON_LABELS = {"app.kubernetes.io/name": "patrol", "app.kubernetes.io/part-of": "patrol"}
COMPONENT_LABEL = "app.kubernetes.io/component"
PATROL_CONTAINERS = {"api", "worker", "db-upgrade"}
REFERENCE = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")


def all_objects(renders: dict[str, Rendered]) -> Iterator[tuple[str, Manifest]]:
    for directory, rendered in renders.items():
        for item in rendered.objects:
            yield directory, item


def test_the_kustomizations_cover_every_way_to_deploy() -> None:
    assert set(kustomization_directories()) >= {
        "base",
        "components/postgres",
        *OVERLAYS,
        "rbac",
        "rbac/remote",
        "rbac/checker-access",
    }


@pytest.mark.parametrize("directory", kustomization_directories())
def test_every_kustomization_renders_to_objects_the_kubernetes_schemas_accept(
    kubectl: Path, prepared_kustomize: Path, directory: str
) -> None:
    objects = render(kubectl, prepared_kustomize / directory)

    assert objects, f"{directory} renders nothing"
    for item in objects:
        # strict: a misspelt field (`securityContex`) is an error, not silently dropped.
        kubernetes_validate.validate(item, KUBERNETES_VERSION, strict=True)


def test_an_overlay_does_not_render_without_its_uncommitted_env_file(kubectl: Path) -> None:
    with pytest.raises(AssertionError, match=r"patrol\.env"):
        render(kubectl, KUSTOMIZE / "overlays" / "external-database")


def test_every_object_carries_patrols_labels_and_names_its_component(
    renders: dict[str, Rendered],
) -> None:
    for directory, item in all_objects(renders):
        labelled = [item["metadata"]]
        labelled += [template["metadata"] for _, template in workloads([item])]
        labelled += [
            claim["metadata"] for claim in item.get("spec", {}).get("volumeClaimTemplates", [])
        ]
        for metadata in labelled:
            labels = metadata.get("labels") or {}
            where = f"{directory}: {item['kind']} {item['metadata']['name']}"
            assert labels.items() >= COMMON_LABELS.items(), where
            assert labels.get(COMPONENT_LABEL), where


def test_no_object_wears_the_label_that_marks_patrols_checker_pods(
    renders: dict[str, Rendered],
) -> None:
    # Patrol's reaper deletes pods carrying it that belong to no run in flight: Patrol's own pods
    # must never carry it.
    for directory, item in all_objects(renders):
        for metadata in [item["metadata"], *(t["metadata"] for _, t in workloads([item]))]:
            assert (metadata.get("labels") or {}).get(MANAGED_BY_LABEL) != MANAGED_BY, (
                f"{directory}: {item['kind']} {item['metadata']['name']}"
            )


def test_every_container_has_cpu_and_memory_requests_and_limits(
    renders: dict[str, Rendered],
) -> None:
    for directory, rendered in renders.items():
        for item, template in workloads(rendered.objects):
            for container in containers(template):
                resources = container.get("resources") or {}
                for bound in ("requests", "limits"):
                    assert set(resources.get(bound) or {}) >= {"cpu", "memory"}, (
                        f"{directory}: {item['metadata']['name']}/{container['name']} {bound}"
                    )


def test_every_pod_runs_unprivileged_as_a_non_root_user_on_a_read_only_root(
    renders: dict[str, Rendered],
) -> None:
    for directory, rendered in renders.items():
        for item, template in workloads(rendered.objects):
            where = f"{directory}: {item['metadata']['name']}"
            pod = template["spec"]
            security = pod["securityContext"]
            assert security["runAsNonRoot"] is True, where
            assert security["runAsUser"] > 0, where
            assert security["seccompProfile"] == {"type": "RuntimeDefault"}, where
            assert not pod.get("hostNetwork") and not pod.get("hostPID"), where
            volumes = {volume["name"]: volume for volume in pod.get("volumes", [])}
            for claim in item["spec"].get("volumeClaimTemplates", []):
                volumes[claim["metadata"]["name"]] = {"persistentVolumeClaim": claim["spec"]}
            for container in containers(template):
                hardened = container["securityContext"]
                assert hardened["allowPrivilegeEscalation"] is False, where
                assert hardened["readOnlyRootFilesystem"] is True, where
                assert hardened["capabilities"] == {"drop": ["ALL"]}, where
                assert not hardened.get("privileged"), where
                for mount in container.get("volumeMounts", []):
                    assert "hostPath" not in volumes[mount["name"]], where


def test_patrols_containers_run_as_the_images_user_with_a_writable_tmp(
    renders: dict[str, Rendered],
) -> None:
    image_user = final_stage_user(parse_dockerfile((DEPLOY / "Dockerfile").read_text()))
    for directory, rendered in renders.items():
        for item, template in workloads(rendered.objects):
            patrol = [c for c in containers(template) if c["name"] in PATROL_CONTAINERS]
            if not patrol:
                continue
            security = template["spec"]["securityContext"]
            assert f"{security['runAsUser']}:{security['runAsGroup']}" == image_user, directory
            volumes = {volume["name"]: volume for volume in template["spec"]["volumes"]}
            for container in patrol:
                tmp = [m for m in container["volumeMounts"] if m["mountPath"] == "/tmp"]
                assert len(tmp) == 1 and "emptyDir" in volumes[tmp[0]["name"]], (
                    f"{directory}: {item['metadata']['name']}/{container['name']}"
                )


def test_the_api_is_probed_for_startup_liveness_and_readiness(
    renders: dict[str, Rendered],
) -> None:
    for directory in ("base", *OVERLAYS):
        api = renders[directory].named("Deployment", "patrol-api")
        [container] = api["spec"]["template"]["spec"]["containers"]
        ports = {port["name"]: port["containerPort"] for port in container["ports"]}

        assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
        assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
        assert container["startupProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
        assert ports == {"http": 8080}
        assert container["args"] == ["serve", "--no-worker"]


def test_the_servers_patrol_depends_on_are_probed(renders: dict[str, Rendered]) -> None:
    redis = renders["base"].named("Deployment", "patrol-redis")
    postgres = renders["components/postgres"].named("StatefulSet", "patrol-postgres")
    for workload in (redis, postgres):
        for container in workload["spec"]["template"]["spec"]["containers"]:
            assert "readinessProbe" in container and "livenessProbe" in container


def selected(selector: dict[str, str], pods: dict[str, tuple[Manifest, Manifest]]) -> list[str]:
    """The workloads whose pods the selector picks."""
    return [
        name
        for name, (_, template) in pods.items()
        if template["metadata"]["labels"].items() >= selector.items()
    ]


def test_services_and_disruption_budgets_select_the_pods_they_are_for(
    renders: dict[str, Rendered],
) -> None:
    for directory in OVERLAYS:
        rendered = renders[directory]
        pods = {
            item["metadata"]["name"]: (item, template)
            for item, template in workloads(rendered.objects)
        }
        for service in rendered.of_kind("Service"):
            [name] = selected(service["spec"]["selector"], pods)
            [container] = pods[name][1]["spec"]["containers"]
            named_ports = {port["name"] for port in container["ports"]}
            for port in service["spec"]["ports"]:
                assert port["targetPort"] in named_ports, f"{directory}: {service['metadata']}"
        budgets = {
            budget["metadata"]["name"]: budget for budget in rendered.of_kind("PodDisruptionBudget")
        }
        assert set(budgets) == {"patrol-api", "patrol-worker"}
        for name, budget in budgets.items():
            assert selected(budget["spec"]["selector"]["matchLabels"], pods) == [name]
            assert budget["spec"]["minAvailable"] < pods[name][0]["spec"]["replicas"]


def test_every_variable_a_container_expands_is_defined_before_it(
    renders: dict[str, Rendered],
) -> None:
    # Kubernetes leaves an undefined $(NAME) in place, literally: a URL would silently carry it.
    for directory, rendered in renders.items():
        for item, template in workloads(rendered.objects):
            for container in containers(template):
                defined = set(envfrom_keys(rendered, container))
                where = f"{directory}: {item['metadata']['name']}/{container['name']}"
                for variable in container.get("env", []):
                    for name in REFERENCE.findall(variable.get("value", "")):
                        assert name in defined, f"{where}: {variable['name']} uses $({name})"
                    defined.add(variable["name"])
                for word in [*container.get("command", []), *container.get("args", [])]:
                    for name in REFERENCE.findall(word):
                        assert name in defined, f"{where}: an argument uses $({name})"


def envfrom_keys(rendered: Rendered, container: Manifest) -> Iterator[str]:
    for source in container.get("envFrom", []):
        for kind, field in (("ConfigMap", "configMapRef"), ("Secret", "secretRef")):
            if field in source:
                yield from string_data(rendered.named(kind, source[field]["name"]))


def test_every_key_a_container_reads_is_in_the_rendered_config_map_or_secret(
    renders: dict[str, Rendered],
) -> None:
    # Catches an env example that lacks a key the manifests read (POSTGRES_PASSWORD, ...).
    for directory in ("base", *OVERLAYS):
        rendered = renders[directory]
        for item, template in workloads(rendered.objects):
            for container in containers(template):
                for variable in container.get("env", []):
                    source = variable.get("valueFrom") or {}
                    for kind, field in (
                        ("Secret", "secretKeyRef"),
                        ("ConfigMap", "configMapKeyRef"),
                    ):
                        if field in source:
                            reference = source[field]
                            keys = string_data(rendered.named(kind, reference["name"]))
                            assert reference["key"] in keys, (
                                f"{directory}: {item['metadata']['name']} reads {reference}"
                            )


def test_every_patrol_setting_the_manifests_set_is_one_patrol_reads(
    renders: dict[str, Rendered],
) -> None:
    known = {f"PATROL_{name.upper()}" for name in Settings.model_fields}
    for directory, rendered in renders.items():
        names: set[str] = set()
        for item in [*rendered.of_kind("ConfigMap"), *rendered.of_kind("Secret")]:
            names |= set(string_data(item))
        for _, template in workloads(rendered.objects):
            for container in containers(template):
                names |= {variable["name"] for variable in container.get("env", [])}
        assert {name for name in names if name.startswith("PATROL_")} <= known, directory


def test_deployments_turn_the_local_cluster_off_and_listen_on_every_address(
    renders: dict[str, Rendered],
) -> None:
    for directory in ("base", *OVERLAYS):
        settings = string_data(renders[directory].generated("ConfigMap", "patrol-settings"))
        assert settings["PATROL_LOCAL_CLUSTER"] == "false"
        assert settings["PATROL_HOST"] == "0.0.0.0"


def test_checker_pods_report_to_the_api_service_in_patrols_namespace(
    renders: dict[str, Rendered],
) -> None:
    for directory in OVERLAYS:
        rendered = renders[directory]
        service = rendered.named("Service", "patrol-api")
        settings = string_data(rendered.generated("ConfigMap", "patrol-settings"))
        [port] = service["spec"]["ports"]
        namespace = service["metadata"]["namespace"]

        assert settings["PATROL_PUBLIC_URL"] == f"http://patrol-api.{namespace}.svc:{port['port']}"
        assert settings["PATROL_PORT"] == str(port["port"])


def test_api_and_workers_share_one_secret_and_one_settings_map(
    renders: dict[str, Rendered],
) -> None:
    for directory in OVERLAYS:
        rendered = renders[directory]
        sources = []
        for _, template in workloads(rendered.objects):
            for container in containers(template):
                if container["name"] in PATROL_CONTAINERS:
                    sources.append(container["envFrom"])
        assert len(sources) == 3 and all(source == sources[0] for source in sources)
        assert "PATROL_SECRET_KEY" in set(envfrom_keys(rendered, {"envFrom": sources[0]}))


def test_the_secret_template_and_env_examples_hold_only_placeholders(
    renders: dict[str, Rendered],
) -> None:
    template = string_data(renders["base"].generated("Secret", "patrol-secrets"))
    assert set(template) == {"PATROL_SECRET_KEY", "PATROL_DATABASE_URL", "REDIS_PASSWORD"}
    examples = sorted(KUSTOMIZE.rglob("*.env.example"))
    assert [path.parent.name for path in examples] == ["embedded-postgres", "external-database"]
    for values in [template, *(env_file(path) for path in examples)]:
        for key, value in values.items():
            assert "REPLACE-ME" in value, f"{key} holds something other than a placeholder"
    ignored = (REPOSITORY / ".gitignore").read_text().splitlines()
    assert "deploy/kustomize/overlays/*/patrol.env" in ignored
    assert not list(KUSTOMIZE.rglob("patrol.env"))


def env_file(path: Path) -> dict[str, str]:
    lines = [line for line in path.read_text().splitlines() if line and not line.startswith("#")]
    return dict(line.split("=", 1) for line in lines)


def test_every_image_is_pinned_to_a_version(renders: dict[str, Rendered]) -> None:
    for directory in OVERLAYS:
        for item, template in workloads(renders[directory].objects):
            for container in containers(template):
                image = container["image"]
                tag = image.rsplit("/", 1)[-1].partition(":")[2]
                assert re.fullmatch(r"\d+(\.\d+)+(-[a-z0-9.]+)?", tag), (
                    f"{directory}: {item['metadata']['name']} runs {image}"
                )


def test_only_the_workers_get_a_kubernetes_token(renders: dict[str, Rendered]) -> None:
    for directory in OVERLAYS:
        rendered = renders[directory]
        accounts = {item["metadata"]["name"]: item for item in rendered.of_kind("ServiceAccount")}
        for item, template in workloads(rendered.objects):
            pod = template["spec"]
            account = accounts[pod["serviceAccountName"]]
            mounts_token = pod.get(
                "automountServiceAccountToken", account.get("automountServiceAccountToken", True)
            )
            assert mounts_token is (item["metadata"]["name"] == "patrol-worker"), (
                f"{directory}: {item['metadata']['name']}"
            )


def test_overlays_differ_only_in_where_the_database_is(renders: dict[str, Rendered]) -> None:
    embedded, external = (renders[directory] for directory in OVERLAYS)

    def fixed_names(rendered: Rendered) -> set[tuple[str, str]]:
        return {
            (item["kind"], item["metadata"]["name"])
            for item in rendered.objects
            if item["kind"] not in ("ConfigMap", "Secret")  # generated: named by their content
        }

    assert fixed_names(embedded) - fixed_names(external) == {
        ("StatefulSet", "patrol-postgres"),
        ("Service", "patrol-postgres"),
        ("ServiceAccount", "patrol-postgres"),
    }
    assert fixed_names(external) <= fixed_names(embedded)
