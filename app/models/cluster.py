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
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column(nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column(nullable=False))

    @property
    def has_credentials(self) -> bool:
        return any((self.kubeconfig_encrypted, self.token_encrypted, self.ca_cert_encrypted))
