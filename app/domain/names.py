"""Kubernetes naming rules (DNS-1123 names, label keys and values) for user input."""

from __future__ import annotations

import re

from app.errors import InvalidInput

_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS1123_SUBDOMAIN = re.compile(
    r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
)
_QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
# Kubernetes counts neither; these bound what every pod a check launches carries (Kubernetes
# itself refuses more than 256 KiB of annotations).
MAX_LABELS = 64
MAX_ANNOTATIONS = 64
MAX_ANNOTATIONS_BYTES = 64 * 1024


def validate_dns_label(value: str, *, field: str) -> str:
    """A DNS-1123 label, as Kubernetes requires for namespaces."""
    if len(value) > 63 or not _DNS1123_LABEL.match(value):
        raise InvalidInput(
            f"{field}: {value!r} is not a valid DNS-1123 label (lowercase letters, digits and '-', "
            "starting and ending with a letter or digit, at most 63 characters)",
            field=field,
        )
    return value


def validate_dns_subdomain(value: str, *, field: str) -> str:
    """A DNS-1123 subdomain, as Kubernetes requires for most object names."""
    if len(value) > 253 or not _DNS1123_SUBDOMAIN.match(value):
        raise InvalidInput(
            f"{field}: {value!r} is not a valid DNS-1123 subdomain (lowercase letters, digits, "
            "'-' and '.', starting and ending with a letter or digit, at most 253 characters)",
            field=field,
        )
    return value


def validate_labels(labels: object, *, field: str) -> dict[str, str]:
    """Kubernetes label keys (optional DNS prefix + name) with label values."""
    mapping = _string_mapping(labels, field=field)
    _at_most(len(mapping), MAX_LABELS, "labels", field=field)
    for key, value in mapping.items():
        _validate_qualified_key(key, field=field)
        if value and (len(value) > 63 or not _QUALIFIED_NAME.match(value)):
            raise InvalidInput(
                f"{field}.{key}: {value!r} is not a valid label value (at most 63 characters, "
                "alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric)",
                field=f"{field}.{key}",
            )
    return mapping


def validate_annotations(annotations: object, *, field: str) -> dict[str, str]:
    mapping = _string_mapping(annotations, field=field)
    _at_most(len(mapping), MAX_ANNOTATIONS, "annotations", field=field)
    size = sum(len(key.encode()) + len(value.encode()) for key, value in mapping.items())
    if size > MAX_ANNOTATIONS_BYTES:
        raise InvalidInput(
            f"{field}: {size} bytes of keys and values; at most {MAX_ANNOTATIONS_BYTES} (64 KiB)",
            field=field,
        )
    for key in mapping:
        _validate_qualified_key(key, field=field)
    return mapping


def _at_most(count: int, limit: int, noun: str, *, field: str) -> None:
    if count > limit:
        raise InvalidInput(f"{field}: {count} {noun}; at most {limit}", field=field)


def _string_mapping(value: object, *, field: str) -> dict[str, str]:
    if not isinstance(value, dict) or not all(
        isinstance(key, str) and isinstance(item, str) for key, item in value.items()
    ):
        raise InvalidInput(
            f"{field}: must be an object of string keys to string values", field=field
        )
    return dict(value)


def _validate_qualified_key(key: str, *, field: str) -> None:
    prefix, _, name = key.rpartition("/")
    valid_name = len(name) <= 63 and bool(_QUALIFIED_NAME.match(name))
    valid_prefix = not prefix or (len(prefix) <= 253 and bool(_DNS1123_SUBDOMAIN.match(prefix)))
    if not (valid_name and valid_prefix):
        raise InvalidInput(
            f"{field}: {key!r} is not a valid key (an optional DNS subdomain prefix and '/', then "
            "at most 63 alphanumerics, '-', '_' or '.')",
            field=field,
        )
