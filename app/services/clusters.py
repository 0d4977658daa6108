"""Cluster use cases: register, edit and remove the clusters checks run in.

Each takes the caller's session and only flushes: the caller owns the transaction and must
roll back on any error (after a lost race the session is unusable).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlparse

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.domain.kubeconfig import parse_kubeconfig
from app.domain.names import validate_dns_label, validate_dns_subdomain, validate_labels
from app.errors import Conflict, InvalidInput, NotFound
from app.keyring import Keyring
from app.models import Cluster, ConnectionKind
from app.models.columns import utcnow
from app.services import memberships
from app.services.patch import UNCHANGED, Unchanged, pick

# A check runs in at most this many clusters, and a trigger names at most this many.
MAX_CLUSTER_IDS = 100


@dataclass(frozen=True, kw_only=True)
class ClusterDraft:
    name: str
    connection_kind: ConnectionKind
    description: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    kubeconfig: str | None = field(default=None, repr=False)
    kube_context: str | None = None
    api_url: str | None = None
    token: str | None = field(default=None, repr=False)
    ca_cert: str | None = field(default=None, repr=False)
    insecure_skip_tls_verify: bool = False
    default_namespace: str = "default"
    report_url: str | None = None


@dataclass(frozen=True, kw_only=True)
class ClusterChanges:
    name: str | Unchanged = UNCHANGED
    connection_kind: ConnectionKind | Unchanged = UNCHANGED
    description: str | Unchanged = UNCHANGED
    labels: dict[str, str] | Unchanged = UNCHANGED
    kubeconfig: str | Unchanged | None = field(default=UNCHANGED, repr=False)
    kube_context: str | Unchanged | None = UNCHANGED
    api_url: str | Unchanged | None = UNCHANGED
    token: str | Unchanged | None = field(default=UNCHANGED, repr=False)
    ca_cert: str | Unchanged | None = field(default=UNCHANGED, repr=False)
    insecure_skip_tls_verify: bool | Unchanged = UNCHANGED
    default_namespace: str | Unchanged = UNCHANGED
    report_url: str | Unchanged | None = UNCHANGED

    @property
    def reconnects(self) -> bool:
        """Whether the change may change how (or whether) the cluster is reached."""
        connection = (
            self.connection_kind,
            self.kubeconfig,
            self.kube_context,
            self.api_url,
            self.token,
            self.ca_cert,
            self.insecure_skip_tls_verify,
        )
        return any(value is not UNCHANGED for value in connection)


async def create_cluster(session: AsyncSession, draft: ClusterDraft, keyring: Keyring) -> Cluster:
    secrets = _Secrets(
        kubeconfig=_present(draft.kubeconfig),
        token=_present(draft.token),
        ca_cert=_present(draft.ca_cert),
    )
    cluster = Cluster(
        name=draft.name,
        connection_kind=draft.connection_kind,
        description=draft.description,
        labels=draft.labels,
        kube_context=_present(draft.kube_context),
        api_url=_present(draft.api_url),
        insecure_skip_tls_verify=draft.insecure_skip_tls_verify,
        default_namespace=draft.default_namespace,
        report_url=_present(draft.report_url),
    )
    _validate(cluster, secrets, stored=_Stored())
    _store_secrets(cluster, secrets, keyring)
    await _ensure_name_free(session, cluster.name, except_id=None)
    session.add(cluster)
    await _flush(session, cluster.name)
    await memberships.match_cluster(session, cluster, now=cluster.updated_at)
    return cluster


async def update_cluster(
    session: AsyncSession, cluster_id: uuid.UUID, changes: ClusterChanges, keyring: Keyring
) -> Cluster:
    """Omitted secrets stay as stored; null (or blank) clears one."""
    cluster = await get_cluster(session, cluster_id)
    secrets = _Secrets(
        kubeconfig=_changed_secret(changes.kubeconfig),
        token=_changed_secret(changes.token),
        ca_cert=_changed_secret(changes.ca_cert),
    )
    if (
        changes.kube_context is not UNCHANGED
        and changes.kube_context != cluster.kube_context
        and secrets.kubeconfig is UNCHANGED
        and cluster.kubeconfig_encrypted is not None
    ):
        raise InvalidInput(
            "kubeconfig: send the kubeconfig again to change its context "
            "(the stored one is never read back)",
            field="kubeconfig",
        )
    with session.no_autoflush:
        renamed = changes.name is not UNCHANGED and changes.name != cluster.name
        cluster.name = pick(changes.name, cluster.name)
        cluster.connection_kind = pick(changes.connection_kind, cluster.connection_kind)
        cluster.description = pick(changes.description, cluster.description)
        cluster.kube_context = _present(pick(changes.kube_context, cluster.kube_context))
        cluster.api_url = _present(pick(changes.api_url, cluster.api_url))
        cluster.insecure_skip_tls_verify = pick(
            changes.insecure_skip_tls_verify, cluster.insecure_skip_tls_verify
        )
        cluster.default_namespace = pick(changes.default_namespace, cluster.default_namespace)
        cluster.report_url = _present(pick(changes.report_url, cluster.report_url))
        relabelled = changes.labels is not UNCHANGED and changes.labels != cluster.labels
        cluster.labels = pick(changes.labels, cluster.labels)
        _validate(cluster, secrets, stored=_Stored.of(cluster))
        _store_secrets(cluster, secrets, keyring)
        if renamed:
            await _ensure_name_free(session, cluster.name, except_id=cluster.id)
    cluster.updated_at = utcnow()
    await _flush(session, cluster.name)
    if relabelled:
        await memberships.match_cluster(session, cluster, now=cluster.updated_at)
    return cluster


async def delete_cluster(session: AsyncSession, cluster_id: uuid.UUID) -> Cluster:
    """Remove the cluster; its check memberships and run history go with it (FK cascade)."""
    cluster = await get_cluster(session, cluster_id)
    await session.delete(cluster)
    await session.flush()
    return cluster


async def get_cluster(session: AsyncSession, cluster_id: uuid.UUID) -> Cluster:
    cluster = await session.get(Cluster, cluster_id)
    if cluster is None:
        raise NotFound(f"cluster {cluster_id} does not exist", field="id")
    return cluster


@dataclass(frozen=True, slots=True)
class _Secrets:
    """Secrets given by the caller: a value, None (absent or cleared), or UNCHANGED."""

    kubeconfig: str | Unchanged | None
    token: str | Unchanged | None
    ca_cert: str | Unchanged | None


@dataclass(frozen=True, slots=True)
class _Stored:
    """Which secrets the cluster already holds (their values are never read here)."""

    kubeconfig: bool = False
    token: bool = False
    ca_cert: bool = False

    @classmethod
    def of(cls, cluster: Cluster) -> _Stored:
        return cls(
            kubeconfig=cluster.kubeconfig_encrypted is not None,
            token=cluster.token_encrypted is not None,
            ca_cert=cluster.ca_cert_encrypted is not None,
        )


def _present(value: str | None) -> str | None:
    """Blank strings count as absent, so that `hasCredentials` stays truthful."""
    return value if value is not None and value.strip() else None


def _changed_secret(value: str | Unchanged | None) -> str | Unchanged | None:
    return UNCHANGED if value is UNCHANGED else _present(value)


def _will_hold(given: str | Unchanged | None, stored: bool) -> bool:
    return stored if given is UNCHANGED else given is not None


def _validate(cluster: Cluster, secrets: _Secrets, *, stored: _Stored) -> None:
    validate_dns_subdomain(cluster.name, field="name")
    cluster.labels = validate_labels(cluster.labels, field="labels")
    validate_dns_label(cluster.default_namespace, field="defaultNamespace")
    if cluster.api_url is not None:
        _validate_url(cluster.api_url, "apiUrl", "https://10.0.0.1:6443", "use token instead")
    if cluster.report_url is not None:
        _validate_url(
            cluster.report_url, "reportUrl", "https://patrol.example.com", "it is sent to pods"
        )
    if isinstance(secrets.kubeconfig, str):
        parse_kubeconfig(secrets.kubeconfig, cluster.kube_context)
    kind = cluster.connection_kind
    if kind is ConnectionKind.KUBECONFIG and not _will_hold(secrets.kubeconfig, stored.kubeconfig):
        raise InvalidInput(
            "kubeconfig: required when connectionKind is KUBECONFIG", field="kubeconfig"
        )
    if kind is ConnectionKind.TOKEN:
        if cluster.api_url is None:
            raise InvalidInput("apiUrl: required when connectionKind is TOKEN", field="apiUrl")
        if not _will_hold(secrets.token, stored.token):
            raise InvalidInput("token: required when connectionKind is TOKEN", field="token")


def _validate_url(url: str, field: str, example: str, hint: str) -> None:
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise InvalidInput(f"{field}: not an http(s) URL such as {example}", field=field)
    if parsed.username is not None or parsed.password is not None:
        # Never echo it: the userinfo is a credential.
        raise InvalidInput(
            f"{field}: must not carry credentials (user:password@); {hint}", field=field
        )


def _store_secrets(cluster: Cluster, secrets: _Secrets, keyring: Keyring) -> None:
    def sealed(value: str | Unchanged | None, current: str | None) -> str | None:
        if value is UNCHANGED:
            return current
        return None if value is None else keyring.encrypt(value)

    cluster.kubeconfig_encrypted = sealed(secrets.kubeconfig, cluster.kubeconfig_encrypted)
    cluster.token_encrypted = sealed(secrets.token, cluster.token_encrypted)
    cluster.ca_cert_encrypted = sealed(secrets.ca_cert, cluster.ca_cert_encrypted)


async def _ensure_name_free(
    session: AsyncSession, name: str, *, except_id: uuid.UUID | None
) -> None:
    query = select(Cluster.id).where(Cluster.name == name)
    if except_id is not None:
        query = query.where(Cluster.id != except_id)
    if (await session.exec(query)).first() is not None:
        raise Conflict(f"a cluster named {name!r} already exists", field="name")


async def _flush(session: AsyncSession, name: str) -> None:
    try:
        await session.flush()
    except IntegrityError:
        # Lost a race with a concurrent writer between the existence check and the insert.
        raise Conflict(f"a cluster named {name!r} already exists", field="name") from None


async def resolve_cluster_ids(
    session: AsyncSession, cluster_ids: Sequence[uuid.UUID], *, field: str = "clusterIds"
) -> list[uuid.UUID]:
    """The ids without duplicates, in order, once all are known: one query for all of them.
    Refuses more than MAX_CLUSTER_IDS, and names every unknown id at once (up to a few)."""
    if len(cluster_ids) > MAX_CLUSTER_IDS:
        raise InvalidInput(
            f"{field}: at most {MAX_CLUSTER_IDS} clusters, got {len(cluster_ids)}", field=field
        )
    wanted = list(dict.fromkeys(cluster_ids))
    if not wanted:
        return wanted
    rows = await session.exec(select(Cluster.id).where(col(Cluster.id).in_(wanted)))
    existing = set(rows.all())
    missing = [cluster_id for cluster_id in wanted if cluster_id not in existing]
    if missing:
        noun = "cluster" if len(missing) == 1 else "clusters"
        raise NotFound(f"{field}: unknown {noun} {listing(missing)}", field=field)
    return wanted


def listing(values: Sequence[object], *, shown: int = 5) -> str:
    """`a, b, c`, or `a, b, c, d, e and 9995 more`: every value counted, a few named."""
    named = ", ".join(str(value) for value in values[:shown])
    rest = len(values) - shown
    return f"{named} and {rest} more" if rest > 0 else named
