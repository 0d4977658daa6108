from __future__ import annotations

import pytest

from app.domain.alerting.channel_urls import mask_url, scrub, secret_fragments

SLACK_TOKEN = "TIiajkdnlazkcOXrIdevi7FQ"


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        (f"slack://T1JJ3T3L2/A1BRTD4JD/{SLACK_TOKEN}", "slack://T1…/A1…/***"),
        (
            f"https://hooks.slack.com/services/T1JJ3T3L2/A1BRTD4JD/{SLACK_TOKEN}",
            "https://hooks.slack.com/se…/T1…/A1…/***",
        ),
        ("mailto://alerts:s3cretpass@gmail.com", "mailto://…:***@gmail.com"),
        (
            "mailto://127.0.0.1:2525?from=a@example.com&to=b@example.com",
            "mailto://127.0.0.1:2525?from=***&to=***",
        ),
        (
            "json://user:pw1234@hooks.example.com:8443/path/tok3n?+X-Token=hdrsecret&:extra=v",
            "json://…:***@hooks.example.com:8443/…/***?+X-Token=***&:extra=***",
        ),
        ("tgram://123456789:AABBCCDDEEFFGGHH/12345", "tgram://12…:AA…/***"),
        ("discord://4174216298/JHMHI8qBe7bk2ZwO5U711o3dV_js", "discord://41…/***"),
        ("ntfys://ntfy.example.com/patrol-alerts", "ntfys://ntfy.example.com/***"),
        ("slack://xoxb-1234-1234-4ddbc191d40ee098cbaae6f3523a/#general", "slack://xo…/***"),
        ("not a url", "***"),
    ],
)
def test_a_masked_url_keeps_the_scheme_and_host_and_hides_every_credential(
    url: str, masked: str
) -> None:
    assert mask_url(url) == masked


@pytest.mark.parametrize(
    ("url", "secrets"),
    [
        (f"slack://T1JJ3T3L2/A1BRTD4JD/{SLACK_TOKEN}", ["T1JJ3T3L2", "A1BRTD4JD", SLACK_TOKEN]),
        ("mailto://alerts:s3cretpass@gmail.com", ["s3cretpass", "alerts"]),
        ("json://h.example.com/p/tok3n?+X-Token=hdrsecret", ["tok3n", "hdrsecret"]),
        ("tgram://123456789:AABBCCDDEEFFGGHH/12345", ["123456789", "AABBCCDDEEFFGGHH"]),
        ("pover://u5erKEY@t0kenAPP", ["u5erKEY", "t0kenAPP"]),
    ],
)
def test_masking_never_shows_a_token_or_password(url: str, secrets: list[str]) -> None:
    masked = mask_url(url)
    assert all(secret not in masked for secret in secrets)
    assert all(secret in secret_fragments(url) for secret in secrets)


def test_scrubbing_removes_every_form_a_library_may_quote_a_secret_in() -> None:
    url = "json://user:p%40ss-word@127.0.0.1:9/hooks/k9Xq2TOKEN?-token=qs-s3cret"
    fragments = secret_fragments(url)
    text = (
        f"Unparseable URL {url}; POST http://127.0.0.1:9/hooks/k9Xq2TOKEN?token=qs-s3cret "
        "auth p@ss-word / p%40ss-word failed"
    )
    scrubbed = scrub(text, fragments)
    for secret in ("k9Xq2TOKEN", "qs-s3cret", "p@ss-word", "p%40ss-word"):
        assert secret not in scrubbed
    assert "127.0.0.1" in scrubbed


def test_scrubbing_errs_on_the_side_of_hiding_a_word_that_is_also_a_secret() -> None:
    fragments = secret_fragments("json://hooks.example.com/hook")
    assert scrub("posting to the hook failed", fragments) == "posting to the *** failed"


def test_a_real_host_name_is_not_scrubbed_so_errors_stay_readable() -> None:
    fragments = secret_fragments("json://hooks.example.com/patrol")
    assert scrub("A Connection error occurred to hooks.example.com.", fragments) == (
        "A Connection error occurred to hooks.example.com."
    )
