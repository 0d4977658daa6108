"""Self-signed certificates for localhost / 127.0.0.1, generated with the openssl CLI."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class CertPair:
    cert: Path
    key: Path


def openssl_available() -> bool:
    return shutil.which("openssl") is not None


def make_self_signed(directory: Path, name: str, days: int) -> CertPair:
    pair = CertPair(cert=directory / f"{name}.crt", key=directory / f"{name}.key")
    subprocess.run(
        [
            "openssl", "req", "-x509", "-nodes", "-newkey", "ec",
            "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-keyout", str(pair.key), "-out", str(pair.cert), "-days", str(days),
            "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return pair


def openssl_end_date(pair: CertPair) -> str:
    """`notAfter=Apr 12 20:33:42 2054 GMT` as openssl prints it."""
    output = subprocess.run(
        ["openssl", "x509", "-in", str(pair.cert), "-noout", "-enddate"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return output.strip().removeprefix("notAfter=")
