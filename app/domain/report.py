"""A checker's report, parsed as leniently as Kuberhealthy and as strictly as its contract."""

from __future__ import annotations

import json
from dataclasses import dataclass

from app.domain import json_nesting

# Kuberhealthy checkers send a handful of short errors; these bound what a run keeps and shows.
# The whole body is also capped (Settings.report_max_bytes, 64 KiB by default).
MAX_ERRORS = 100
MAX_ERROR_CHARACTERS = 4096


class InvalidReport(ValueError):
    """The report cannot be accepted; the message is sent back to the checker with a 400."""


@dataclass(frozen=True, slots=True)
class Report:
    ok: bool
    errors: tuple[str, ...]


def parse_report(body: bytes) -> Report:
    try:
        document = json_nesting.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InvalidReport(f"report body is not valid JSON: {error}") from None
    except json_nesting.TooDeeplyNested as error:
        raise InvalidReport(f"report body is not a report: {error}") from None
    if not isinstance(document, dict):
        raise InvalidReport("report body must be a JSON object with OK and Errors")
    fields = {str(key).lower(): value for key, value in document.items()}
    ok = fields.get("ok")
    if not isinstance(ok, bool):
        raise InvalidReport("report field OK must be true or false")
    errors = fields.get("errors")
    if errors is None:
        errors = []
    if not isinstance(errors, list) or not all(isinstance(error, str) for error in errors):
        raise InvalidReport("report field Errors must be a list of strings")
    if len(errors) > MAX_ERRORS:
        raise InvalidReport(f"report field Errors has {len(errors)} errors; at most {MAX_ERRORS}")
    longest = max(map(len, errors), default=0)
    if longest > MAX_ERROR_CHARACTERS:
        raise InvalidReport(
            f"report field Errors has an error of {longest} characters; "
            f"at most {MAX_ERROR_CHARACTERS} each"
        )
    if not ok and (not errors or any(not error.strip() for error in errors)):
        raise InvalidReport("a report with OK false must carry at least one non-blank error")
    return Report(ok=ok, errors=tuple(errors))
