"""Patrol's secret key: encryption of credentials at rest, and keyed digests (API tokens, per-run
report secrets). One master key is current; previous ones still decrypt and verify, so a key can
be rotated without downtime (see README, "Key management")."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Sequence
from functools import cached_property

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

KEY_BYTES = 32


class InvalidKey(ValueError):
    """A configured key is not a url-safe base64 encoding of 32 bytes."""


class UnreadableSecret(ValueError):
    """A ciphertext no configured key can open (wrong key, or the value was tampered with)."""


def generate_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)).decode()


def _decode_key(text: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(text.strip().encode())
    except (binascii.Error, ValueError):
        raise InvalidKey(
            "a secret key must be url-safe base64 (make one with `patrol keys generate`)"
        ) from None
    if len(raw) != KEY_BYTES:
        raise InvalidKey(f"a secret key must encode {KEY_BYTES} bytes, this one has {len(raw)}")
    return raw


def _derive(master: bytes, purpose: str) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=f"patrol/{purpose}".encode()
    ).derive(master)


class Keyring:
    """The current key and any previous ones; each purpose uses its own derived subkey."""

    def __init__(self, current: str, previous: Sequence[str] = ()) -> None:
        self._masters = [_decode_key(current), *(_decode_key(key) for key in previous)]
        self._subkeys: dict[str, list[bytes]] = {}

    def __repr__(self) -> str:
        return f"Keyring(keys={len(self._masters)})"

    @cached_property
    def _fernet(self) -> MultiFernet:
        return MultiFernet(
            [Fernet(base64.urlsafe_b64encode(_derive(key, "encryption"))) for key in self._masters]
        )

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken:
            raise UnreadableSecret(
                "a stored secret cannot be decrypted with the configured keys"
            ) from None

    def reencrypt(self, ciphertext: str) -> str:
        """The same secret, encrypted with the current key (for rotation)."""
        try:
            return self._fernet.rotate(ciphertext.encode()).decode()
        except InvalidToken:
            raise UnreadableSecret(
                "a stored secret cannot be decrypted with the configured keys"
            ) from None

    def sign(self, purpose: str, message: str) -> str:
        """A keyed digest of `message` with the current key (url-safe, unpadded)."""
        return self.signatures(purpose, message)[0]

    def signatures(self, purpose: str, message: str) -> list[str]:
        """The digest under every configured key, current first."""
        subkeys = self._subkeys.get(purpose)
        if subkeys is None:
            subkeys = self._subkeys[purpose] = [_derive(key, purpose) for key in self._masters]
        return [
            base64.urlsafe_b64encode(hmac.digest(subkey, message.encode(), hashlib.sha256))
            .decode()
            .rstrip("=")
            for subkey in subkeys
        ]

    def verify(self, purpose: str, message: str, signature: str) -> bool:
        return any(
            hmac.compare_digest(expected, signature)
            for expected in self.signatures(purpose, message)
        )
