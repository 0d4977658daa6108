from __future__ import annotations

import enum
import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.models.columns import enum_column, json_column, timestamp_column, utcnow


class ConnectionKind(enum.StrEnum):
    LOCAL = "local"
    IN_CLUSTER = "in_cluster"
    KUBECONFIG = "kubeconfig"
    TOKEN = "token"


class Cluster(SQLModel, table=True):
    __tablename__ = "cluster"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str = Field(sa_column=sa.Column(sa.String(253), nullable=False, unique=True))
    description: str = ""
    labels: dict[str, str] = Field(default_factory=dict, sa_column=json_column())
    connection_kind: ConnectionKind = Field(sa_column=enum_column(ConnectionKind))
    # Connection secrets, encrypted with the keyring: written by mutations, decrypted only by the
    # Kubernetes adapter, never returned by the API.
    kubeconfig_encrypted: str | None = Field(
        default=None, sa_column=sa.Column(sa.Text(), nullable=True)
    )
    kube_context: str | None = None
    api_url: str | None = None
    token_encrypted: str | None = Field(default=None, sa_column=sa.Column(sa.Text(), nullable=True))
    ca_cert_encrypted: str | None = Field(
        default=None, sa_column=sa.Column(sa.Text(), nullable=True)
    )
    insecure_skip_tls_verify: bool = False
    default_namespace: str = "default"
    # Where this cluster's checker pods report (clusters reach Patrol at different addresses);
    # None: the shared public URL.
    report_url: str | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column(nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column(nullable=False))

    @property
    def has_credentials(self) -> bool:
        return any((self.kubeconfig_encrypted, self.token_encrypted, self.ca_cert_encrypted))


class ClusterHealth(SQLModel, table=True):
    """What the last probes of a cluster's API found. Written by the health probe only, never by
    edits, so probing does not count as a change of the cluster (`updated_at`)."""

    __tablename__ = "cluster_health"

    cluster_id: uuid.UUID = Field(
        sa_column=sa.Column(
            sa.Uuid(), sa.ForeignKey("cluster.id", ondelete="CASCADE"), primary_key=True
        )
    )
    reachable: bool
    # When `reachable` last changed (or was first known).
    since: datetime = Field(sa_column=timestamp_column(nullable=False))
    checked_at: datetime = Field(sa_column=timestamp_column(nullable=False))
    last_contact_at: datetime | None = Field(default=None, sa_column=timestamp_column())
    server_version: str | None = None
    last_error: str | None = Field(default=None, sa_column=sa.Column(sa.Text(), nullable=True))
    consecutive_failures: int = 0
    # Optimistic lock: probes from several workers record a flip once.
    version: int = 0
