"""Small helpers for object metadata: timestamps, uids and generated names."""

from __future__ import annotations

import random
import time
import uuid
from datetime import UTC, datetime

_GENERATE_NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
_GENERATE_NAME_MAX_PREFIX = 58


def now_rfc3339() -> str:
    """Whole seconds, UTC, `Z` suffix, as metav1.Time marshals."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def rfc3339_after(seconds: int) -> str:
    return datetime.fromtimestamp(time.time() + seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def now_micro() -> str:
    """metav1.MicroTime, used by `eventTime`."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def now_micro_whole_second() -> str:
    """A MicroTime that orders consistently beside whole-second `metav1.Time`s of the same moment."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000000Z")


def new_uid() -> str:
    return str(uuid.uuid4())


def generated_name(prefix: str) -> str:
    suffix = "".join(random.choice(_GENERATE_NAME_ALPHABET) for _ in range(5))
    return prefix[:_GENERATE_NAME_MAX_PREFIX] + suffix


def event_name(involved_name: str) -> str:
    return f"{involved_name}.{time.time_ns():x}"
