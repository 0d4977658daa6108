"""Channel URL secrets go in through every door of the notifier and the URL validation, with
Patrol logging at DEBUG; the test greps for them in the log, stdout/stderr, results and errors."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.adapters.apprise_urls import validate_channel_urls
from app.adapters.notifier import AppriseNotifier, ChannelTarget
from app.domain.alerting.rendering import RenderedMessage
from app.domain.alerting.state import TransitionKind
from app.errors import InvalidInput
from app.logging import configure_logging
from tests.fixtures.http_target import free_port
from tests.fixtures.receivers import SmtpServer, Webhook

MARK = f"LEAK{uuid.uuid4().hex[:10]}"
PATH_TOKEN = f"{MARK}path"
HEADER = f"{MARK}header"
PASSWORD = f"{MARK}pass"
QUERY = f"{MARK}query"
SLACK = f"{MARK}slack"
SECRETS = (PATH_TOKEN, HEADER, PASSWORD, QUERY, SLACK)


@pytest.fixture
def debug_log(tmp_path: Path) -> Iterator[Path]:
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    saved_levels = {name: logging.getLogger(name).level for name in logging.root.manager.loggerDict}
    path = tmp_path / "debug.log"
    stream = path.open("w")
    configure_logging("DEBUG", "json", stream)
    try:
        yield path
    finally:
        stream.close()
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)
        for name, level in saved_levels.items():
            logging.getLogger(name).setLevel(level)


async def test_no_channel_url_secret_reaches_a_log_line_a_result_or_an_error(
    debug_log: Path,
    webhook: Webhook,
    smtp_server: SmtpServer,
    capfd: pytest.CaptureFixture[str],
) -> None:
    said: list[str] = []
    for bad in (
        f"slack://T1JJ3T3L2/{SLACK}",
        f"https://example.com/hooks/{PATH_TOKEN}",
        f"json://user:{PASSWORD}@127.0.0.1:{webhook.port}/a json://b/{PATH_TOKEN}",
        f"{PATH_TOKEN}",
    ):
        with pytest.raises(InvalidInput) as refused:
            validate_channel_urls([bad])
        said.append(str(refused.value))

    hook = f"json://user:{PASSWORD}@127.0.0.1:{webhook.port}/hooks/{PATH_TOKEN}"
    targets = [
        ChannelTarget(f"{hook}?+X-Token={HEADER}&-token={QUERY}"),
        ChannelTarget(f"json://127.0.0.1:{free_port()}/hooks/{PATH_TOKEN}?-token={QUERY}"),
        ChannelTarget(
            f"mailto://patrol:{PASSWORD}@127.0.0.1:{smtp_server.port}"
            "?from=patrol@example.com&to=oncall@example.com&mode=insecure"
        ),
        ChannelTarget(f"slack://T1JJ3T3L2/{SLACK}"),
        ChannelTarget(f"json://127.0.0.1:{free_port()}/{PATH_TOKEN} junk"),
    ]
    message = RenderedMessage("[CRITICAL] FIRING: payments/checkout", "3 runs failed in a row.")
    notifier = AppriseNotifier(timeout_seconds=5)
    for status in (200, 500, 401):
        webhook.status = status
        results = await notifier.send(message, TransitionKind.FIRING, targets)
        said.extend(repr(result) for result in results)
    assert webhook.requests and webhook.requests[-1].headers["X-Token"] == HEADER

    log = debug_log.read_text()
    out, err = capfd.readouterr()
    assert "apprise" not in log.lower(), "Apprise's own log lines reach Patrol's handlers"
    for where, text in (("log", log), ("stdout", out), ("stderr", err), ("said", "\n".join(said))):
        leaked = [secret for secret in SECRETS if secret in text]
        assert leaked == [], f"{where} leaks {leaked}"
