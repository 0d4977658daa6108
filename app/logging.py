"""Structured logging (structlog over the stdlib), with secrets redacted before rendering."""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any, TextIO

import structlog

from app.redaction import MASK, is_secret_key, strip_url_credentials


def redact_secrets(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    for key, value in list(event_dict.items()):
        if is_secret_key(key):
            event_dict[key] = MASK
        elif isinstance(value, str):
            event_dict[key] = strip_url_credentials(value)
    return event_dict


def configure_logging(
    level: str = "INFO", fmt: str = "console", stream: TextIO | None = None
) -> None:
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        redact_secrets,
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(
            colors=(stream or sys.stderr).isatty(),
            # The default (rich, with every frame's local variables) would print decrypted
            # credentials held in locals, and takes long enough to stall the event loop.
            exception_formatter=structlog.dev.plain_traceback,
        )
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(stream)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info if fmt == "json" else _identity,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # At DEBUG these libraries log statement parameters, request and response bodies and URLs:
    # pod manifests (with each run's report secret), tokens' digests, credentials.
    for verbose in _LOGS_BODIES_AT_DEBUG:
        logging.getLogger(verbose).setLevel(max(logging.getLevelName(level), logging.INFO))
    # SQLAlchemy logs every statement (and its pool's comings and goings) at INFO.
    for noisy in ("uvicorn.access", "arq.worker", "arq.jobs", "sqlalchemy"):
        logging.getLogger(noisy).setLevel(max(logging.getLevelName(level), logging.WARNING))


_LOGS_BODIES_AT_DEBUG = (
    "sqlalchemy",
    "aiosqlite",
    "asyncpg",
    "kubernetes",
    "urllib3",
    "httpx",
    "httpcore",
    "websockets",
    "redis",
    "asyncio",
)


def _identity(_logger: Any, _method: str, event_dict: Any) -> Any:
    return event_dict


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    return structlog.stdlib.get_logger(name)
