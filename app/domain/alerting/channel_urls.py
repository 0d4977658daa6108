"""Channel URLs are secrets: a masked form for display, and the fragments to scrub from any text
that may quote them (a notifier's error, a library's log line).

Apprise's own `url(privacy=True)` is not enough here: it keeps generic webhook paths, headers
(`+X-Token=...`) and query values verbatim, and shows first and last characters of tokens.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from urllib.parse import quote, unquote, unquote_plus

MASK = "***"
ELLIPSIS = "…"
# Shorter fragments (yes, no, json...) are too common in ordinary text to scrub, and a hint of
# two characters is shown only for long ones.
MIN_SECRET_CHARS = 4
MIN_HINTED_CHARS = 8

_SCHEME = re.compile(r"^(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*)://(?P<rest>.*)$", re.DOTALL)


def mask_url(url: str) -> str:
    """Scheme, real host names and query keys kept; every other part hinted or masked:
    `slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnl...` becomes `slack://T1…/A1…/***`."""
    parts = _split(url)
    if parts is None:
        return MASK
    scheme, userinfo, host, port, segments, query = parts
    shown = f"{scheme.lower()}://"
    if userinfo is not None:
        user, _, password = userinfo.partition(":")
        shown += _hint(user) + (f":{MASK}" if password else "") + "@"
    shown += host if _is_host_name(host) else _hint(host)
    if port is not None:
        shown += f":{port}" if port.isdigit() else f":{_hint(port)}"
    if segments:
        hinted = [_hint(segment) if segment else "" for segment in segments[:-1]]
        shown += "/" + "/".join([*hinted, MASK if segments[-1] else ""])
    if query:
        shown += "?" + "&".join(f"{key}={MASK}" for key, _ in _pairs(query))
    return shown


def secret_fragments(url: str) -> frozenset[str]:
    """Every part of the URL that may be a credential, as written and as encoded or decoded,
    so that scrubbing catches it however a library quotes it. Host names are kept: they help
    to read an error and are shown in the masked form anyway."""
    parts = _split(url)
    if parts is None:
        return _forms([url.strip()])
    _, userinfo, host, port, segments, query = parts
    pieces: list[str] = [url.strip()]
    if userinfo is not None:
        pieces += [userinfo, *userinfo.split(":")]
    if not _is_host_name(host):
        pieces.append(host)
    if port is not None and not port.isdigit():
        pieces += [port, f"{host}:{port}"]
    pieces += segments
    pieces += [value for _, value in _pairs(query)]
    return _forms(pieces)


def scrub(text: str, fragments: Iterable[str]) -> str:
    for fragment in sorted(fragments, key=len, reverse=True):
        text = text.replace(fragment, MASK)
    return text


def _forms(pieces: Iterable[str]) -> frozenset[str]:
    forms = {
        form
        for piece in pieces
        for form in (piece, unquote(piece), unquote_plus(piece), quote(unquote(piece), safe=""))
    }
    return frozenset(form for form in forms if len(form) >= MIN_SECRET_CHARS)


def _split(
    url: str,
) -> tuple[str, str | None, str, str | None, list[str], str] | None:
    match = _SCHEME.match(url.strip())
    if match is None:
        return None
    # No fragment: Apprise reads `#` as part of the URL (`slack://token/#channel`).
    rest, _, query = match.group("rest").partition("?")
    netloc, slash, path = rest.partition("/")
    userinfo: str | None = None
    if "@" in netloc:
        userinfo, _, netloc = netloc.rpartition("@")
    host, port = netloc, None
    if not netloc.startswith("[") and netloc.count(":") == 1:
        host, port = netloc.split(":")
    segments = path.split("/") if slash else []
    return match.group("scheme"), userinfo, host, port, segments, query


def _pairs(query: str) -> list[tuple[str, str]]:
    """Query pairs as written: Apprise keys such as `+X-Token` keep their `+`."""
    return [(key, value) for key, _, value in (item.partition("=") for item in query.split("&"))]


def _is_host_name(host: str) -> bool:
    if host == "localhost" or host.startswith("["):
        return True
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return "." in host and all(label.isalnum() or "-" in label for label in host.split("."))
    return True


def _hint(part: str) -> str:
    return part[:2] + ELLIPSIS if len(part) >= MIN_HINTED_CHARS else ELLIPSIS
