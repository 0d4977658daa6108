import json

import pytest

from app.domain.report import InvalidReport, Report, parse_report


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"OK": true, "Errors": []}', Report(True, ())),
        (b'{"OK": true}', Report(True, ())),
        (b'{"ok": false, "errors": ["dns down"]}', Report(False, ("dns down",))),
        (b'{"Ok": false, "ERRORS": ["a", "b"], "extra": 1}', Report(False, ("a", "b"))),
        (b'{"OK": true, "Errors": null}', Report(True, ())),
    ],
)
def test_reports_are_read_with_case_insensitive_keys(body: bytes, expected: Report) -> None:
    assert parse_report(body) == expected


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"not json", "not valid JSON"),
        (b"\xff\xfe", "not valid JSON"),
        (b"[]", "JSON object"),
        (b'{"Errors": []}', "OK must be"),
        (b'{"OK": "true"}', "OK must be"),
        (b'{"OK": false}', "at least one non-blank error"),
        (b'{"OK": false, "Errors": []}', "at least one non-blank error"),
        (b'{"OK": false, "Errors": ["  "]}', "at least one non-blank error"),
        (b'{"OK": true, "Errors": "x"}', "list of strings"),
        (b'{"OK": true, "Errors": [1]}', "list of strings"),
        (b'{"OK": false, "Errors": ' + b"[" * 1000 + b"]" * 1000 + b"}", "deeper than 64"),
        (b"[" * 30_000 + b"]" * 30_000, "deeper than 64"),
        (b'{"OK": true, "Seconds": ' + b"9" * 5_000 + b"}", "not valid JSON"),
        (b'{"OK": true, "Seconds": NaN}', "not valid JSON"),
        (b'{"OK": true, "Errors": "' + b"[" * 100 + b'"}', "list of strings"),
        (b'{"OK": false, "Errors": [' + b'"e",' * 100 + b'"e"]}', "101 errors; at most 100"),
        (
            b'{"OK": false, "Errors": ["' + b"x" * 4097 + b'"]}',
            "an error of 4097 characters; at most 4096 each",
        ),
    ],
)
def test_malformed_reports_are_rejected_with_a_reason(body: bytes, message: str) -> None:
    with pytest.raises(InvalidReport, match=message):
        parse_report(body)


def test_a_report_at_the_limits_is_accepted() -> None:
    errors = ["x" * 4096] * 10 + ["y"] * 90
    report = parse_report(json.dumps({"OK": False, "Errors": errors}).encode())
    assert report.errors == tuple(errors)


def test_a_report_nested_64_levels_deep_is_still_read() -> None:
    extra = "[" * 63 + "]" * 63
    assert parse_report(f'{{"OK": true, "Extra": {extra}}}'.encode()) == Report(True, ())
