"""Channel URLs are judged by Apprise itself, and its verdict never quotes a secret."""

from __future__ import annotations

import pytest

from app.adapters.apprise_urls import validate_channel_urls
from app.errors import InvalidInput


def test_slack_email_json_and_other_urls_apprise_supports_are_accepted() -> None:
    urls = [
        " slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ ",
        "https://hooks.slack.com/services/T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ",
        "mailto://alerts:s3cretpass@gmail.com",
        "mailto://127.0.0.1:2525?from=patrol@example.com&to=oncall@example.com",
        "json://hooks.example.com/patrol?+X-Token=abc",
        "form://hooks.example.com/patrol",
        "ntfys://ntfy.example.com/patrol-alerts",
        "tgram://123456789:AABBCCDDEEFFGGHH/12345",
        "discord://4174216298/JHMHI8qBe7bk2ZwO5U711o3dV_js",
    ]
    assert validate_channel_urls(urls)[0] == urls[0].strip()


@pytest.mark.parametrize(
    ("url", "verdict", "secret"),
    [
        ("garbage-with-S3CRETBITS", "Unsupported URL: ***", "S3CRETBITS"),
        ("https://example.com/hook/S3CRETBITS", "Unparseable URL ***", "S3CRETBITS"),
        ("slack://T1JJ3T3L2/S3CRETBITS", "An invalid Slack (third) Token", "S3CRETBITS"),
        ("discord://S3CRETBITS", "An invalid Discord Webhook Token", "S3CRETBITS"),
        ("json://a.example.com/x json://b.example.com/S3CRETBITS", "exactly one URL", "S3CRETBITS"),
    ],
)
def test_a_bad_url_is_refused_with_apprises_reason_and_without_its_secret(
    url: str, verdict: str, secret: str
) -> None:
    with pytest.raises(InvalidInput, match=r"URL 2 .* was refused by Apprise") as raised:
        validate_channel_urls(["json://ok.example.com/hook", url])
    assert raised.value.field == "urls"
    assert verdict in raised.value.message
    assert secret not in raised.value.message and secret not in str(raised.value)


@pytest.mark.parametrize(
    ("urls", "message"),
    [([], "at least one"), ([" "], "URL 1 is empty"), (["json://x.example.com/"] * 21, "at most")],
)
def test_a_channel_needs_one_to_twenty_urls(urls: list[str], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        validate_channel_urls(urls)
