"""Field-level encryption of personal data with Chinese national cryptography (国密).

- Values are encrypted with **SM4-GCM** (128-bit key, 96-bit random nonce, authenticated), through
  the ``cryptography`` package. A stored value reads ``sm4:<key id>:<base64(nonce‖ciphertext‖tag)>``
  so that several keys can be in use during a rotation: the first key of
  ``settings.FIELD_ENCRYPTION_KEYS`` encrypts, every listed key decrypts.
- Equality look-ups and per-person aggregation use a **blind index**: HMAC-SM3 of the normalised
  value under ``settings.BLIND_INDEX_KEY``. It reveals nothing about the value without the key.
"""

from __future__ import annotations

import base64
import hmac as std_hmac
import os
import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

PREFIX = "sm4"
_NONCE_BYTES = 12
_TAG_BYTES = 16


class DecryptionError(Exception):
    """A stored value could not be decrypted: unknown key id, wrong key, or tampered data."""


@lru_cache(maxsize=8)
def _parse_keys(raw: tuple[str, ...]) -> tuple[tuple[str, bytes], ...]:
    keys = []
    for item in raw:
        kid, sep, hexkey = item.strip().partition(":")
        if not sep or not re.fullmatch(r"[A-Za-z0-9_-]{1,16}", kid):
            raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS entries must read 'keyid:32-hex-digits'.")
        try:
            key = bytes.fromhex(hexkey)
        except ValueError as exc:
            raise ImproperlyConfigured(f"FIELD_ENCRYPTION_KEYS key {kid!r} is not hexadecimal.") from exc
        if len(key) != 16:
            raise ImproperlyConfigured(f"FIELD_ENCRYPTION_KEYS key {kid!r} must be 128 bits (32 hex digits).")
        keys.append((kid, key))
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is empty.")
    return tuple(keys)


def keys() -> tuple[tuple[str, bytes], ...]:
    return _parse_keys(tuple(settings.FIELD_ENCRYPTION_KEYS))


def current_key_id() -> str:
    return keys()[0][0]


def encrypt(plaintext: str) -> str:
    """Encrypt a text value with the current key."""
    kid, key = keys()[0]
    nonce = os.urandom(_NONCE_BYTES)
    encryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(kid.encode())
    body = encryptor.update(plaintext.encode("utf-8")) + encryptor.finalize()
    token = base64.b64encode(nonce + body + encryptor.tag).decode("ascii")
    return f"{PREFIX}:{kid}:{token}"


def is_encrypted(value: str) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX + ":") and value.count(":") >= 2


def key_id_of(value: str) -> str | None:
    return value.split(":", 2)[1] if is_encrypted(value) else None


def decrypt(value: str) -> str:
    """Decrypt a value produced by :func:`encrypt` with whichever configured key made it."""
    if not is_encrypted(value):
        raise DecryptionError("value is not an encrypted field value")
    _, kid, token = value.split(":", 2)
    key = dict(keys()).get(kid)
    if key is None:
        raise DecryptionError(f"no key with id {kid!r} in FIELD_ENCRYPTION_KEYS")
    try:
        raw = base64.b64decode(token, validate=True)
    except ValueError as exc:
        raise DecryptionError("encrypted value is not valid base64") from exc
    if len(raw) < _NONCE_BYTES + _TAG_BYTES:
        raise DecryptionError("encrypted value is too short")
    nonce, body, tag = raw[:_NONCE_BYTES], raw[_NONCE_BYTES:-_TAG_BYTES], raw[-_TAG_BYTES:]
    decryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce, tag)).decryptor()
    decryptor.authenticate_additional_data(kid.encode())
    try:
        return (decryptor.update(body) + decryptor.finalize()).decode("utf-8")
    except InvalidTag as exc:
        raise DecryptionError("encrypted value failed authentication (wrong key or tampered)") from exc


# --- blind index ----------------------------------------------------------------------------

def normalize_text(value: str) -> str:
    """Names and addresses: Unicode NFKC (full-width to half-width), no spaces, case-folded.
    (``str.split()`` splits on exactly what ``\\s`` matches in a str pattern, at C speed.)"""
    return "".join(unicodedata.normalize("NFKC", value).split()).casefold()


def normalize_id_number(value: str) -> str:
    return "".join(unicodedata.normalize("NFKC", value).split()).upper()


def normalize_phone(value: str) -> str:
    digits = re.sub(r"\D", "", unicodedata.normalize("NFKC", value))
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    return digits


NORMALIZERS: dict[str, Callable[[str], str]] = {
    "text": normalize_text,
    "id_number": normalize_id_number,
    "phone": normalize_phone,
}


def blind_index(value: str | None, kind: str = "text") -> str | None:
    """HMAC-SM3 (hex) of the normalised value; ``None`` for an empty value."""
    if value is None or value == "":
        return None
    normalized = NORMALIZERS[kind](str(value))
    mac = crypto_hmac.HMAC(_blind_key(settings.BLIND_INDEX_KEY), hashes.SM3())
    mac.update(f"{kind}:{normalized}".encode())
    return mac.finalize().hex()


@lru_cache(maxsize=4)
def _blind_key(raw: str) -> bytes:
    try:
        key = bytes.fromhex(raw)
    except ValueError:
        key = raw.encode()
    if len(key) < 16:
        raise ImproperlyConfigured("BLIND_INDEX_KEY must be at least 128 bits.")
    return key


def sm3_hex(data: bytes) -> str:
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize().hex()


def hmac_sm3_hex(key: bytes, data: bytes) -> str:
    mac = crypto_hmac.HMAC(key, hashes.SM3())
    mac.update(data)
    return mac.finalize().hex()


def constant_time_equal(a: str, b: str) -> bool:
    return std_hmac.compare_digest(a.encode(), b.encode())
