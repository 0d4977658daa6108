"""Cluster credentials in the Kubernetes adapter: decrypted only there, certificate material in a
private directory that goes away with the process."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest

from app.adapters.credential_files import PREFIX, CredentialFiles
from app.adapters.kube import ClusterConfigError, KubeGateway, configuration_for
from app.keyring import Keyring, generate_key
from app.models import Cluster, ConnectionKind
from app.owned_directories import remove_stale_directories

CA = "-----BEGIN CERTIFICATE-----\nCA-MATERIAL-31\n-----END CERTIFICATE-----\n"


def token_cluster(keyring: Keyring) -> Cluster:
    return Cluster(
        name="prod",
        connection_kind=ConnectionKind.TOKEN,
        api_url="https://10.0.0.1:6443",
        token_encrypted=keyring.encrypt("TOKEN-31"),
        ca_cert_encrypted=keyring.encrypt(CA),
    )


def test_a_token_cluster_gets_its_bearer_and_a_private_ca_file(tmp_path: Path) -> None:
    keyring = Keyring(generate_key())
    files = CredentialFiles(tmp_path)
    configuration = configuration_for(token_cluster(keyring), keyring, files)
    assert configuration.api_key == {"authorization": "Bearer TOKEN-31"}
    ca_file = Path(configuration.ssl_ca_cert)
    assert ca_file.read_text() == CA
    assert stat.S_IMODE(ca_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(ca_file.parent.stat().st_mode) == 0o700
    files.close()
    assert not ca_file.exists() and list(tmp_path.iterdir()) == []


def test_inline_kubeconfig_certificates_become_private_files_not_client_temp_files(
    tmp_path: Path,
) -> None:
    keyring = Keyring(generate_key())
    key_data = base64.b64encode(b"CLIENT-KEY-31").decode()
    ca_data = base64.b64encode(CA.encode()).decode()
    kubeconfig = (
        "apiVersion: v1\nkind: Config\ncurrent-context: x\n"
        f"clusters:\n- name: c\n  cluster: {{server: 'https://10.0.0.1:6443', "
        f"certificate-authority-data: {ca_data}}}\n"
        f"users:\n- name: u\n  user: {{token: T, client-key-data: {key_data}, "
        f"client-certificate-data: {ca_data}}}\n"
        "contexts:\n- name: x\n  context: {cluster: c, user: u}\n"
    )
    cluster = Cluster(
        name="kc",
        connection_kind=ConnectionKind.KUBECONFIG,
        kubeconfig_encrypted=keyring.encrypt(kubeconfig),
    )
    files = CredentialFiles(tmp_path)
    configuration = configuration_for(cluster, keyring, files)
    assert Path(configuration.key_file).read_bytes() == b"CLIENT-KEY-31"
    assert Path(configuration.ssl_ca_cert).parent == Path(configuration.key_file).parent
    assert str(tmp_path) in configuration.key_file
    files.close()
    assert list(tmp_path.iterdir()) == []


def test_credentials_no_key_can_open_fail_with_a_sentence_that_quotes_nothing(
    tmp_path: Path,
) -> None:
    cluster = token_cluster(Keyring(generate_key()))
    with pytest.raises(ClusterConfigError) as refused:
        configuration_for(cluster, Keyring(generate_key()), CredentialFiles(tmp_path))
    assert "cannot be decrypted" in str(refused.value) and not refused.value.transient
    assert "TOKEN-31" not in str(refused.value)


def test_the_gateway_removes_its_files_when_it_closes(tmp_path: Path) -> None:
    keyring = Keyring(generate_key())
    gateway = KubeGateway(keyring)
    gateway._files = CredentialFiles(tmp_path)
    gateway.client(token_cluster(keyring))
    assert len(list(tmp_path.iterdir())) == 1
    gateway.close()
    assert list(tmp_path.iterdir()) == []


def test_directories_of_dead_processes_are_removed_and_live_ones_kept(tmp_path: Path) -> None:
    dead = tmp_path / f"{PREFIX}999999999-abc"
    live = tmp_path / f"{PREFIX}{os.getpid()}-abc"
    dead.mkdir()
    live.mkdir()
    (dead / "key").write_text("KEY")
    remove_stale_directories(PREFIX, tmp_path)
    assert not dead.exists() and live.exists()
