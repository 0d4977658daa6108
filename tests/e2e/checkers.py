"""Tiny checker programs, run as real processes by the local cluster's kubelet."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

# Reports OK with no kh-run-uuid header, to KH_REPORTING_URL exactly as injected (old clients).
REPORT_TO_INJECTED_URL = """
import os, urllib.request
request = urllib.request.Request(os.environ["KH_REPORTING_URL"], data=b'{"OK": true, "Errors": []}')
urllib.request.urlopen(request, timeout=10)
print("reported without a header")
"""

# Reports to the bare v2 path, no header, from the pod's own IP (Kuberhealthy's pod-IP lookup).
# Local pod IPs are loopback addresses, trusted only under PATROL_REPORT_IP_FALLBACK=loopback.
REPORT_FROM_POD_IP = """
import http.client, os, time, urllib.parse
url = urllib.parse.urlsplit(os.environ["KH_REPORTING_URL"])
time.sleep(0.3)  # the checker's own start-up pause; Patrol learns the pod IP from its watch
connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10,
                                        source_address=(os.environ["POD_IP"], 0))
connection.request("POST", "/externalCheckStatus", body=b'{"OK": true, "Errors": []}')
response = connection.getresponse()
print("status", response.status, response.read().decode())
"""


def python_script(script: str, **env: Any) -> dict[str, Any]:
    variables: list[dict[str, Any]] = [
        {"name": key, "value": str(value)} for key, value in env.items()
    ]
    variables.append({"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}})
    return {
        "containers": [
            {
                "name": "checker",
                "image": "python:3.11-slim",
                "command": [sys.executable, "-c", script],
                "env": variables,
            }
        ]
    }


def gated_checker(gate: Path, *, report: bool) -> dict[str, Any]:
    """Waits until `gate` exists, then reports OK with Patrol's client (which retries what may
    be transient) or, without `report`, exits 3 unreported: a run whose end the test decides.
    The gate's path is in the command line, to find the checker's process by."""
    ending = (
        "from app.checkers.client import report_success\nreport_success()"
        if report
        else "sys.exit(3)"
    )
    script = (
        "import os, sys, time\n"
        f"while not os.path.exists({str(gate)!r}):\n"
        "    time.sleep(0.05)\n"
        f"{ending}\n"
    )
    return python_script(script)
