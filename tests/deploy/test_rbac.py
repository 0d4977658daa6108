"""Patrol's access to target clusters (deploy/kustomize/rbac): exactly the calls its Kubernetes
adapter makes, per namespace, granted to the account its workers use, and nothing cluster-wide."""

from __future__ import annotations

import inspect
import shutil
from pathlib import Path

from app.adapters.kube import ClusterClient
from tests.deploy.rendering import Manifest, Rendered, render, workloads

# Each ClusterClient method and the (resource, verb) it needs. A new method fails the test below
# until it is listed here and the Role grants it.
ADAPTER_CALLS = {
    "create_pod": ("pods", "create"),
    "get_pod": ("pods", "get"),
    "delete_pod": ("pods", "delete"),
    "list_pods": ("pods", "list"),
    "watch_pods": ("pods", "watch"),
    "read_log_tail": ("pods/log", "get"),
    "follow_log": ("pods/log", "get"),  # a followed log is a get with follow=true
    "list_pod_events": ("events", "list"),
}
# The issue grants watch on events too (read-only, for a pod's events as they come).
GRANTED = {
    ("", "pods"): {"create", "get", "list", "watch", "delete"},
    ("", "pods/log"): {"get"},
    ("", "events"): {"list", "watch"},
}
CLUSTER_SCOPED_GRANTS = {"ClusterRole", "ClusterRoleBinding"}
LAUNCHING_ACCOUNT = {"kind": "ServiceAccount", "name": "patrol", "namespace": "patrol"}


def grants(role: Manifest) -> dict[tuple[str, str], set[str]]:
    found: dict[tuple[str, str], set[str]] = {}
    for rule in role["rules"]:
        for group in rule["apiGroups"]:
            for resource in rule["resources"]:
                found.setdefault((group, resource), set()).update(rule["verbs"])
    return found


def test_the_role_grants_exactly_what_patrols_kubernetes_adapter_needs(
    renders: dict[str, Rendered],
) -> None:
    [role] = renders["rbac"].of_kind("Role")

    assert grants(role) == GRANTED
    assert all("resourceNames" not in rule for rule in role["rules"])


def test_every_call_the_kubernetes_adapter_makes_is_granted() -> None:
    methods = {
        name
        for name, member in inspect.getmembers(ClusterClient, inspect.isfunction)
        if not name.startswith("_") and name != "close"
    }

    assert methods == set(ADAPTER_CALLS)
    for resource, verb in ADAPTER_CALLS.values():
        assert verb in GRANTED[("", resource)]


def test_nothing_anywhere_is_granted_cluster_wide(renders: dict[str, Rendered]) -> None:
    for directory, rendered in renders.items():
        kinds = {item["kind"] for item in rendered.objects}
        assert not kinds & CLUSTER_SCOPED_GRANTS, directory
        for role in rendered.of_kind("Role"):
            for rule in role["rules"]:
                assert "*" not in [*rule["apiGroups"], *rule["resources"], *rule["verbs"]]
        for binding in rendered.of_kind("RoleBinding"):
            assert binding["roleRef"]["kind"] == "Role", f"{directory}: binds a ClusterRole"


def test_each_namespace_binds_its_own_role_to_the_account_patrol_launches_pods_with(
    renders: dict[str, Rendered],
) -> None:
    for directory in ("rbac", "rbac/remote"):
        rendered = renders[directory]
        roles = {
            (r["metadata"]["namespace"], r["metadata"]["name"]) for r in rendered.of_kind("Role")
        }
        bindings = rendered.of_kind("RoleBinding")

        assert roles == {("patrol-checks", "patrol-checker-access")}
        for binding in bindings:
            namespace = binding["metadata"]["namespace"]
            assert (namespace, binding["roleRef"]["name"]) in roles
            assert binding["subjects"] == [LAUNCHING_ACCOUNT]


def test_the_account_bound_is_the_one_the_workers_run_as(renders: dict[str, Rendered]) -> None:
    for directory in ("overlays/embedded-postgres", "overlays/external-database"):
        worker = renders[directory].named("Deployment", "patrol-worker")
        [pod] = [template for _, template in workloads([worker])]

        assert {
            "kind": "ServiceAccount",
            "name": pod["spec"]["serviceAccountName"],
            "namespace": worker["metadata"]["namespace"],
        } == LAUNCHING_ACCOUNT


def test_a_remote_cluster_gets_the_account_and_a_token_for_it_but_no_pod_runs_as_it(
    renders: dict[str, Rendered],
) -> None:
    rendered = renders["rbac/remote"]
    account = rendered.named("ServiceAccount", "patrol")
    token = rendered.named("Secret", "patrol-token")

    assert account["metadata"]["namespace"] == LAUNCHING_ACCOUNT["namespace"]
    assert account["automountServiceAccountToken"] is False
    assert token["type"] == "kubernetes.io/service-account-token"
    assert token["metadata"]["annotations"] == {"kubernetes.io/service-account.name": "patrol"}
    assert token["metadata"]["namespace"] == LAUNCHING_ACCOUNT["namespace"]


def test_adding_a_namespace_as_the_readme_says_grants_the_same_there(
    kubectl: Path, prepared_kustomize: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "kustomize"
    shutil.copytree(prepared_kustomize, copy)
    namespaces = copy / "rbac" / "namespaces"
    shutil.copytree(namespaces / "patrol-checks", namespaces / "default")
    (namespaces / "default" / "namespace.yaml").unlink()  # `default` exists already
    kustomization = namespaces / "default" / "kustomization.yaml"
    kustomization.write_text(
        kustomization.read_text()
        .replace("namespace: patrol-checks\n", "namespace: default\n")
        .replace("  - namespace.yaml\n", "")
    )
    listing = namespaces / "kustomization.yaml"
    listing.write_text(listing.read_text() + "  - default\n")

    for directory in ("rbac", "rbac/remote"):
        rendered = Rendered(directory, render(kubectl, copy / directory))

        roles = {role["metadata"]["namespace"]: grants(role) for role in rendered.of_kind("Role")}
        assert roles == {"patrol-checks": GRANTED, "default": GRANTED}
        assert {b["metadata"]["namespace"] for b in rendered.of_kind("RoleBinding")} == set(roles)
