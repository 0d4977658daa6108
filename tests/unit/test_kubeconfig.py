from __future__ import annotations

import pytest

from app.domain.kubeconfig import parse_kubeconfig
from app.errors import InvalidInput

SECRET = "KUBE-SECRET-77"


def kubeconfig(user: str = f"{{token: {SECRET}}}", server: str = "https://10.0.0.1:6443") -> str:
    return (
        "apiVersion: v1\nkind: Config\ncurrent-context: main\n"
        f"clusters:\n- name: c\n  cluster: {{server: '{server}'}}\n"
        f"users:\n- name: u\n  user: {user}\n"
        "contexts:\n- name: main\n  context: {cluster: c, user: u}\n"
        "- name: other\n  context: {cluster: c, user: u}\n"
    )


def test_a_self_contained_kubeconfig_gives_its_current_context_and_server() -> None:
    parsed = parse_kubeconfig(kubeconfig())
    assert (parsed.context, parsed.server) == ("main", "https://10.0.0.1:6443")
    assert parse_kubeconfig(kubeconfig(), "other").context == "other"


@pytest.mark.parametrize(
    ("text", "context", "message"),
    [
        (f"users: [{{name: u, user: {{token: {SECRET}}}]", None, "not valid YAML (line 1"),
        (f"- {SECRET}", None, "must be a YAML mapping"),
        (kubeconfig(), "missing", "no entry named 'missing' in contexts"),
        (kubeconfig(server="ftp://x"), None, "server must be an http(s) URL"),
        (kubeconfig(server=f"https://admin:{SECRET}@x"), None, "must not carry credentials"),
        (kubeconfig("{tokenFile: /etc/shadow}"), None, "tokenFile names a file on Patrol's host"),
        (kubeconfig("{client-key: /root/key}"), None, "inline it as client-key-data"),
        (
            kubeconfig(f"{{exec: {{command: sh, args: [-c, {SECRET}]}}}}"),
            None,
            "exec plugins are not supported",
        ),
    ],
    ids=[
        "bad yaml",
        "not a mapping",
        "unknown context",
        "bad server",
        "server userinfo",
        "token file",
        "key file",
        "exec plugin",
    ],
)
def test_bad_kubeconfigs_are_refused_without_quoting_them(
    text: str, context: str | None, message: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_kubeconfig(text, context)
    assert message in refused.value.message
    assert SECRET not in refused.value.message and refused.value.field == "kubeconfig"
