"""Just enough DER to read a certificate's expiry: the stdlib decodes only verified peers' certs."""

from __future__ import annotations

from datetime import UTC, datetime

_SEQUENCE = 0x30
_EXPLICIT_VERSION = 0xA0
_UTC_TIME = 0x17
_GENERALIZED_TIME = 0x18


def certificate_not_after(der: bytes) -> datetime:
    """The notAfter of a DER X.509 certificate as an aware UTC datetime; ValueError if malformed."""
    tag, certificate, _ = _read(der, 0)
    _expect(tag, _SEQUENCE, "certificate")
    tag, tbs, _ = _read(certificate, 0)
    _expect(tag, _SEQUENCE, "tbsCertificate")
    position = 0
    tag, _, position = _read(tbs, position)
    if tag == _EXPLICIT_VERSION:
        tag, _, position = _read(tbs, position)  # serialNumber
    for _field in ("signature", "issuer"):
        tag, _, position = _read(tbs, position)
        _expect(tag, _SEQUENCE, _field)
    tag, validity, _ = _read(tbs, position)
    _expect(tag, _SEQUENCE, "validity")
    _, _, after_not_before = _read(validity, 0)
    tag, not_after, _ = _read(validity, after_not_before)
    return _parse_time(tag, not_after)


def _read(data: bytes, position: int) -> tuple[int, bytes, int]:
    """One TLV at `position`: (tag, value, position after it)."""
    if position + 2 > len(data):
        raise ValueError("truncated DER")
    tag, length = data[position], data[position + 1]
    position += 2
    if length & 0x80:
        size = length & 0x7F
        if size == 0 or size > 4 or position + size > len(data):
            raise ValueError("unsupported DER length")
        length = int.from_bytes(data[position : position + size], "big")
        position += size
    end = position + length
    if end > len(data):
        raise ValueError("truncated DER")
    return tag, data[position:end], end


def _expect(tag: int, wanted: int, field: str) -> None:
    if tag != wanted:
        raise ValueError(f"unexpected DER tag 0x{tag:02x} for {field}")


def _parse_time(tag: int, value: bytes) -> datetime:
    text = value.decode("ascii")
    if tag == _UTC_TIME:
        # RFC 5280: two-digit years 50-99 are 19xx, 00-49 are 20xx.
        century = "19" if int(text[:2]) >= 50 else "20"
        text = century + text
    elif tag != _GENERALIZED_TIME:
        raise ValueError(f"unexpected DER tag 0x{tag:02x} for notAfter")
    return datetime.strptime(text, "%Y%m%d%H%M%SZ").replace(tzinfo=UTC)
