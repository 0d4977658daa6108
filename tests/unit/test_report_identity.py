"""Which run a report proves it is for: the URL's secret, else the pod IP, never a run id alone."""

from __future__ import annotations

import ipaddress
import uuid

import pytest

from app.domain.report_identity import (
    IpFallback,
    PodIpLookup,
    ReportClaims,
    Unidentified,
    examine,
    fallback_address,
    ip_fallback_refusal,
)
from app.keyring import Keyring, generate_key
from app.services.report_identity import is_report_secret, report_secret

KEYRING = Keyring(generate_key())
RUN, OTHER = uuid.uuid4(), uuid.uuid4()
POD_IP = "10.244.1.7"


def claims(
    *,
    header: uuid.UUID | str | None = None,
    url_run: uuid.UUID | str | None = None,
    secret: str | None = None,
    source: str | None = POD_IP,
) -> ReportClaims:
    return ReportClaims(
        header_run_id=None if header is None else str(header),
        url_run_id=None if url_run is None else str(url_run),
        url_secret=secret,
        source=source,
    )


def identify(
    report: ReportClaims, *, ip_fallback: IpFallback = IpFallback.AUTO, keyring: Keyring = KEYRING
) -> uuid.UUID | Unidentified | PodIpLookup:
    return examine(
        report,
        ip_fallback=ip_fallback,
        secret_is_valid=lambda run_id, secret: is_report_secret(keyring, run_id, secret),
    )


def refusal(outcome: object) -> str:
    assert isinstance(outcome, Unidentified), outcome
    return outcome.reason


def test_the_urls_run_with_its_secret_is_the_reports_run_with_or_without_the_header() -> None:
    secret = report_secret(KEYRING, RUN)
    assert identify(claims(url_run=RUN, secret=secret)) == RUN
    assert identify(claims(header=RUN, url_run=RUN, secret=secret)) == RUN
    assert identify(claims(url_run=str(RUN).upper(), secret=secret)) == RUN


def test_the_url_secret_needs_no_pod_ip_even_when_the_fallback_is_off() -> None:
    secret = report_secret(KEYRING, RUN)
    outcome = identify(claims(url_run=RUN, secret=secret, source=None), ip_fallback=IpFallback.OFF)
    assert outcome == RUN


@pytest.mark.parametrize(
    "secret",
    [
        None,
        "",
        "A" * 43,
        report_secret(KEYRING, OTHER),
        report_secret(Keyring(generate_key()), RUN),
    ],
    ids=["missing", "empty", "made-up", "another-runs", "another-keys"],
)
def test_the_urls_run_without_its_own_secret_is_refused_and_no_pod_ip_is_tried(
    secret: str | None,
) -> None:
    outcome = identify(claims(url_run=RUN, secret=secret), ip_fallback=IpFallback.LOOPBACK)
    assert "kh-run-secret" in refusal(outcome)
    assert isinstance(outcome, Unidentified) and outcome.claimed_run_id == RUN


def test_a_header_naming_another_run_than_the_url_is_refused() -> None:
    outcome = identify(claims(header=OTHER, url_run=RUN, secret=report_secret(KEYRING, RUN)))
    assert "another run than the reporting URL" in refusal(outcome)


def test_a_secret_signed_with_a_previous_key_still_proves_its_run_after_rotation() -> None:
    old = generate_key()
    secret = report_secret(Keyring(old), RUN)
    rotated = Keyring(generate_key(), previous=[old])
    assert identify(claims(url_run=RUN, secret=secret), keyring=rotated) == RUN
    assert report_secret(rotated, RUN) != secret


def test_a_secret_without_the_urls_run_is_refused() -> None:
    outcome = identify(claims(header=RUN, secret=report_secret(KEYRING, RUN)))
    assert "no kh-run-uuid" in refusal(outcome)


def test_a_report_naming_no_run_is_identified_by_its_pod_ip_alone() -> None:
    lookup = identify(claims())
    assert lookup == PodIpLookup(POD_IP, None)
    assert isinstance(lookup, PodIpLookup)
    assert lookup.settle(RUN) == RUN
    assert "no running checker pod has IP 10.244.1.7" in refusal(lookup.settle(None))


def test_a_header_alone_is_only_accepted_when_the_pod_ip_names_the_same_run() -> None:
    lookup = identify(claims(header=RUN))
    assert isinstance(lookup, PodIpLookup)
    assert lookup.settle(RUN) == RUN
    assert "another run than the reporting pod's" in refusal(lookup.settle(OTHER))
    assert "header alone does not prove" in refusal(lookup.settle(None))


def test_a_header_alone_from_an_address_the_policy_refuses_is_refused_at_once() -> None:
    outcome = identify(claims(header=RUN, source="127.42.0.9"))
    assert "header alone does not prove" in refusal(outcome)
    assert "loopback address 127.42.0.9" in refusal(outcome)
    assert isinstance(outcome, Unidentified) and outcome.claimed_run_id == RUN


@pytest.mark.parametrize(
    ("header", "url_run"), [("not-a-uuid", None), (None, "not-a-uuid"), ("x" * 500, None)]
)
def test_malformed_run_ids_are_refused(header: str | None, url_run: str | None) -> None:
    outcome = identify(claims(header=header, url_run=url_run, secret="whatever"))
    assert "is not a run UUID" in refusal(outcome)
    assert len(refusal(outcome)) < 200


@pytest.mark.parametrize(
    ("policy", "address", "trusted"),
    [
        (IpFallback.AUTO, "10.244.1.7", True),
        (IpFallback.AUTO, "2001:db8::5", True),
        (IpFallback.AUTO, "127.42.0.1", False),
        (IpFallback.AUTO, "127.0.0.1", False),
        (IpFallback.AUTO, "::1", False),
        (IpFallback.AUTO, "169.254.1.1", False),
        (IpFallback.AUTO, "fe80::1", False),
        (IpFallback.AUTO, "0.0.0.0", False),
        (IpFallback.LOOPBACK, "127.42.0.1", True),
        (IpFallback.LOOPBACK, "::1", True),
        (IpFallback.LOOPBACK, "10.244.1.7", True),
        (IpFallback.LOOPBACK, "169.254.1.1", False),
        (IpFallback.OFF, "10.244.1.7", False),
        (IpFallback.OFF, "127.42.0.1", False),
    ],
)
def test_the_policy_decides_which_source_addresses_may_stand_for_a_pod(
    policy: IpFallback, address: str, trusted: bool
) -> None:
    assert (ip_fallback_refusal(policy, ipaddress.ip_address(address)) is None) is trusted


def test_an_ipv4_address_seen_through_a_dual_stack_socket_is_treated_as_ipv4() -> None:
    assert fallback_address("::ffff:127.42.0.1") == ipaddress.ip_address("127.42.0.1")
    assert "loopback" in refusal(identify(claims(source="::ffff:127.42.0.1")))
    assert identify(claims(source="::ffff:10.244.1.7")) == PodIpLookup(POD_IP, None)


@pytest.mark.parametrize("source", [None, "", "testclient", "unix:/run/patrol.sock"])
def test_a_source_that_is_not_an_ip_address_identifies_nothing(source: str | None) -> None:
    outcome = identify(claims(source=source), ip_fallback=IpFallback.LOOPBACK)
    assert "cannot tell which run" in refusal(outcome)


def test_the_claims_never_show_their_secret() -> None:
    secret = report_secret(KEYRING, RUN)
    assert secret not in repr(claims(url_run=RUN, secret=secret))
