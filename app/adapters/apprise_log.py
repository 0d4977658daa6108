"""Apprise's logger quotes URLs, tokens and request lines. It is kept away from Patrol's log
handlers entirely; its words reach the outside only through a notifier result or a validation
verdict, after the URL's secret parts are scrubbed from them."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

APPRISE_LOGGER = "apprise"


def quiet_apprise_logger() -> None:
    """Idempotent. DEBUG stays on so a notify call's own capture gets the details that tell a
    permanent failure from a transient one; nothing propagates to the root handlers."""
    logger = logging.getLogger(APPRISE_LOGGER)
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    if not any(isinstance(handler, logging.NullHandler) for handler in logger.handlers):
        # Without any handler, logging's last resort would print warnings to stderr.
        logger.addHandler(logging.NullHandler())


class _ThreadCapture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.thread = threading.get_ident()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread and record.levelno >= logging.WARNING:
            self.messages.append(record.getMessage())


@contextmanager
def captured_apprise_warnings() -> Iterator[list[str]]:
    """Warnings Apprise logs from this thread while the block runs (its reasons for refusing a
    URL). Other threads' records are left out, so concurrent calls do not mix."""
    quiet_apprise_logger()
    capture = _ThreadCapture()
    logger = logging.getLogger(APPRISE_LOGGER)
    logger.addHandler(capture)
    try:
        yield capture.messages
    finally:
        logger.removeHandler(capture)
