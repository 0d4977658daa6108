"""What counts as a secret in structured data: by key name, and credentials inside URLs."""

from __future__ import annotations

import re
from typing import Any

_SECRET_KEY = re.compile(
    r"(token|password|passwd|secret|kubeconfig|apprise|ca_?cert|authorization|"
    r"(^|_)urls$|[a-z]Urls$|^urls$)",
    re.I,
)
# Linear on any text: a match starts only where a run of scheme characters starts, and the
# possessive quantifiers never backtrack (with a plain `*`, a 30 KB word took 6 s).
_URL_CREDENTIALS = re.compile(
    r"(?P<scheme>(?<![a-z0-9+.-])(?=[0-9+.-]*+[a-z])[a-z0-9+.-]++://)[^/@\s]++@", re.I
)
MASK = "***"


def is_secret_key(key: str) -> bool:
    return bool(_SECRET_KEY.search(key))


def strip_url_credentials(text: str) -> str:
    if "://" not in text:
        return text
    return _URL_CREDENTIALS.sub(rf"\g<scheme>{MASK}@", text)


def redact(value: Any) -> Any:
    """A copy of a JSON-like document with secret-named values masked and URL userinfo hidden."""
    if isinstance(value, dict):
        return {
            key: MASK if is_secret_key(str(key)) and item is not None else redact(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [redact(item) for item in value]
    if isinstance(value, str):
        return strip_url_credentials(value)
    return value
