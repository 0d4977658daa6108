"""Kuberhealthy's example checks, written as the upstream docs show them."""

from __future__ import annotations

from pathlib import Path

MANIFESTS = Path(__file__).parent / "manifests"
HTTP_CHECK = MANIFESTS / "http-check.yaml"
DEPLOYMENT_CHECK = MANIFESTS / "deployment-check.yaml"
KH_JOB = MANIFESTS / "khjob.yaml"
V3_HEALTH_CHECK = MANIFESTS / "healthcheck-v3.yaml"
ALL = (HTTP_CHECK, DEPLOYMENT_CHECK, KH_JOB, V3_HEALTH_CHECK)
