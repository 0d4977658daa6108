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
    ],
)
def test_malformed_reports_are_rejected_with_a_reason(body: bytes, message: str) -> None:
    with pytest.raises(InvalidReport, match=message):
        parse_report(body)
