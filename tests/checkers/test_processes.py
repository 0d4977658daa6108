"""Each checker run as a pod runs it: `python -m app.checkers.<name>` with Patrol's variables."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from .certs import CertPair
from .reporting import REPORT_PATH, REPORT_QUERY, RUN_UUID, reporting_env
from .servers import ScriptedHttpServer, closed_port, tls_server

REPO_ROOT = Path(__file__).resolve().parents[2]


def run_checker(module: str, environ: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-W", "error", "-m", f"app.checkers.{module}"],
        env={"PATH": os.environ.get("PATH", "")} | environ,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=15,
    )


def the_report(receiver: ScriptedHttpServer) -> bytes:
    [report] = receiver.requests
    assert (report.method, report.path, report.query) == ("POST", REPORT_PATH, REPORT_QUERY)
    assert report.headers["kh-run-uuid"] == RUN_UUID
    assert report.headers["content-type"] == "application/json"
    return report.body


def test_the_http_checker_reports_success_and_logs_each_request(
    receiver: ScriptedHttpServer, target: ScriptedHttpServer
) -> None:
    environ = reporting_env(receiver) | {"CHECK_URL": f"{target.url}/ready", "COUNT": "2"}

    finished = run_checker("http", environ)

    assert finished.returncode == 0, finished.stderr
    assert finished.stderr == ""
    assert the_report(receiver) == b'{"OK": true, "Errors": []}'
    assert f"request 2/2: GET {target.url}/ready: got status 200" in finished.stdout
    assert REPORT_QUERY not in finished.stdout  # it may carry a token


def test_the_http_checker_reports_a_missing_check_url_instead_of_crashing(
    receiver: ScriptedHttpServer,
) -> None:
    finished = run_checker("http", reporting_env(receiver))

    assert finished.returncode == 0, finished.stderr
    assert the_report(receiver) == (
        b'{"OK": false, "Errors": ["http-check: invalid configuration: CHECK_URL is not set"]}'
    )


def test_the_tcp_checker_reports_a_refused_connection(receiver: ScriptedHttpServer) -> None:
    port = closed_port()
    environ = reporting_env(receiver) | {"CONNECTION_TARGET": f"tcp://127.0.0.1:{port}"}

    finished = run_checker("tcp", environ)

    assert finished.returncode == 0, finished.stderr
    body = the_report(receiver)
    assert body.startswith(
        b'{"OK": false, "Errors": ["tcp connection to 127.0.0.1:%d failed: ' % port
    )


def test_the_dns_checker_reports_success_for_localhost(receiver: ScriptedHttpServer) -> None:
    environ = reporting_env(receiver) | {"HOSTNAME": "localhost", "EXPECTED_ADDRESSES": "127.0.0.1"}

    finished = run_checker("dns", environ)

    assert finished.returncode == 0, finished.stderr
    assert the_report(receiver) == b'{"OK": true, "Errors": []}'


def test_the_tls_checker_verifies_against_ssl_cert_file_and_reports_success(
    receiver: ScriptedHttpServer, certificates: dict[str, CertPair]
) -> None:
    pair = certificates["valid"]
    with tls_server(str(pair.cert), str(pair.key)) as server:
        environ = reporting_env(receiver) | {
            "DOMAIN_NAME": "localhost",
            "PORT": str(server.port),
            "SSL_CERT_FILE": str(pair.cert),
        }
        finished = run_checker("tls", environ)

    assert finished.returncode == 0, finished.stderr
    assert the_report(receiver) == b'{"OK": true, "Errors": []}'


def test_a_checker_exits_nonzero_when_its_report_is_rejected(
    receiver: ScriptedHttpServer,
) -> None:
    receiver.script((400, "run is unknown"))
    environ = reporting_env(receiver) | {"HOSTNAME": "localhost"}

    finished = run_checker("dns", environ)

    assert finished.returncode == 1
    assert "report rejected with HTTP 400: run is unknown" in finished.stdout


def test_a_checker_outside_a_check_pod_exits_nonzero_without_running() -> None:
    finished = run_checker("tcp", {"CONNECTION_TARGET": "127.0.0.1:1"})

    assert finished.returncode == 1
    assert "KH_REPORTING_URL and KH_RUN_UUID not set" in finished.stdout
