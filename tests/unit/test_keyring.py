from __future__ import annotations

import pytest

from app.keyring import InvalidKey, Keyring, UnreadableSecret, generate_key


def test_encrypted_text_decrypts_and_does_not_contain_the_plaintext() -> None:
    keyring = Keyring(generate_key())
    ciphertext = keyring.encrypt("token-abc-123")
    assert "token-abc-123" not in ciphertext
    assert keyring.decrypt(ciphertext) == "token-abc-123"


def test_another_key_cannot_decrypt() -> None:
    ciphertext = Keyring(generate_key()).encrypt("secret")
    with pytest.raises(UnreadableSecret):
        Keyring(generate_key()).decrypt(ciphertext)


def test_a_rotated_keyring_still_reads_old_secrets_and_reencrypts_them_with_the_new_key() -> None:
    old = generate_key()
    ciphertext = Keyring(old).encrypt("secret")
    rotated = Keyring(generate_key(), previous=[old])
    assert rotated.decrypt(ciphertext) == "secret"
    fresh = rotated.reencrypt(ciphertext)
    with pytest.raises(UnreadableSecret):
        Keyring(old).decrypt(fresh)


def test_signatures_depend_on_purpose_key_and_message() -> None:
    keyring = Keyring(generate_key())
    signature = keyring.sign("report", "run-1")
    assert keyring.verify("report", "run-1", signature)
    assert not keyring.verify("report", "run-2", signature)
    assert not keyring.verify("api-token", "run-1", signature)
    assert not Keyring(generate_key()).verify("report", "run-1", signature)


def test_signatures_of_previous_keys_still_verify() -> None:
    old = generate_key()
    signature = Keyring(old).sign("report", "run-1")
    rotated = Keyring(generate_key(), previous=[old])
    assert rotated.verify("report", "run-1", signature)
    assert rotated.sign("report", "run-1") != signature
    assert rotated.signatures("report", "run-1")[1] == signature


@pytest.mark.parametrize("key", ["", "not base64 !!", "c2hvcnQ="])
def test_malformed_keys_are_refused(key: str) -> None:
    with pytest.raises(InvalidKey):
        Keyring(key)


def test_the_repr_shows_no_key_material() -> None:
    key = generate_key()
    assert key not in repr(Keyring(key))
