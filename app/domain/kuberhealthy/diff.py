"""What applying a manifest would change, as a unified diff of the check's v3 manifest."""

from __future__ import annotations

import difflib

import yaml

from app.domain.kuberhealthy.export import ManifestFormat, to_manifest
from app.domain.kuberhealthy.spec import CheckSpec

_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def spec_diff(current: CheckSpec | None, desired: CheckSpec | None, label: str) -> str:
    """Empty when nothing changes; `current` None is a creation, `desired` None a deletion."""
    before, after = _lines(current), _lines(desired)
    return "".join(
        difflib.unified_diff(
            before,
            after,
            fromfile=f"{label} (current)" if current is not None else "/dev/null",
            tofile=f"{label} (applied)" if desired is not None else "/dev/null",
        )
    )


def _lines(spec: CheckSpec | None) -> list[str]:
    if spec is None:
        return []
    return yaml.dump(
        to_manifest(spec, ManifestFormat.V3), Dumper=_DUMPER, sort_keys=False
    ).splitlines(keepends=True)
