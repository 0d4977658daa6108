import json
import logging

import pytest

from app.logging import configure_logging, get_logger


def test_secrets_are_redacted_from_structured_logs(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO", "json")
    try:
        get_logger("test").info(
            "cluster registered",
            token="s3cr3t-token",
            kubeconfig="apiVersion: v1\nusers: [...]",
            target="json://user:hunter2@hooks.example/path",
            name="prod",
        )
        line = capsys.readouterr().err.strip().splitlines()[-1]
    finally:
        logging.getLogger().handlers.clear()
    record = json.loads(line)
    assert record["name"] == "prod"
    assert record["token"] == "***"
    assert record["kubeconfig"] == "***"
    assert record["target"] == "json://***@hooks.example/path"
    assert "s3cr3t" not in line and "hunter2" not in line
