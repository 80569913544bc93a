"""The request-signing scheme of the partner API (docs/api-signing.md is the partner's copy).

A partner signs every request with the key ``SHA-256(secret)`` (the raw 32-byte digest of its
secret; the platform keeps only that digest, encrypted). The string it signs is six lines::

    METHOD                 upper case: GET, POST …
    PATH                   the URL path, percent-decoded then re-encoded per RFC 3986
    CANONICAL_QUERY        the query pairs, each key and value percent-encoded per RFC 3986,
                           sorted by key then value, joined as k=v with & ("" when none)
    TIMESTAMP              the X-Timestamp header: Unix time in whole seconds
    NONCE                  the X-Nonce header: 16–64 characters of [A-Za-z0-9_-]
    BODY_SHA256            lower-case hex SHA-256 of the raw body bytes (of b"" when none)

joined with ``\\n`` (no trailing newline) and encoded as UTF-8. ``X-Signature`` is the lower-case
hex HMAC of it, with SHA-256 (``X-Signature-Method: HMAC-SHA256``, the default) or SM3
(``HMAC-SM3``). The body digest is SHA-256 for both methods.

This module has no Django dependency so that it states the scheme in one place; the
authentication class and the test helpers both call it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from urllib.parse import parse_qsl, quote, unquote

from zone_portal.core.crypto import hmac_sm3_hex

HMAC_SHA256 = "HMAC-SHA256"
HMAC_SM3 = "HMAC-SM3"
SIGNATURE_METHODS = (HMAC_SHA256, HMAC_SM3)
DEFAULT_SIGNATURE_METHOD = HMAC_SHA256

HEADER_KEY = "X-Api-Key"
HEADER_TIMESTAMP = "X-Timestamp"
HEADER_NONCE = "X-Nonce"
HEADER_SIGNATURE = "X-Signature"
HEADER_SIGNATURE_METHOD = "X-Signature-Method"
REQUIRED_HEADERS = (HEADER_KEY, HEADER_TIMESTAMP, HEADER_NONCE, HEADER_SIGNATURE)

NONCE_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
TIMESTAMP_RE = re.compile(r"^[0-9]{1,12}$")
SIGNATURE_RE = re.compile(r"^[0-9a-fA-F]{64}$")


def signing_key_from_secret(secret: str) -> bytes:
    """The HMAC key of a client: the raw SHA-256 digest of its secret (UTF-8)."""
    return hashlib.sha256(secret.encode("utf-8")).digest()


def canonical_path(path: str) -> str:
    """The path as sent (percent-encoded) decoded once, then every byte but the unreserved
    characters and ``/`` re-encoded as UTF-8 ``%XX``.

    Decoding first makes ``/a%7Eb`` and ``/a~b`` (the same resource) sign alike, whatever the
    partner's HTTP library chose to escape.
    """
    return encode_path(unquote(path))


def encode_path(decoded_path: str) -> str:
    """RFC 3986 encoding of an already decoded path (what the server receives from WSGI)."""
    return quote(decoded_path, safe="/")


def canonical_query(query: str) -> str:
    """The query string as sorted ``key=value`` pairs, each side RFC 3986 percent-encoded.

    ``+`` means a space (form encoding, what most HTTP libraries send); blank values are kept;
    a repeated key keeps every value.
    """
    pairs = parse_qsl(query, keep_blank_values=True)
    encoded = sorted((quote(key, safe=""), quote(value, safe="")) for key, value in pairs)
    return "&".join(f"{key}={value}" for key, value in encoded)


def body_sha256(body: bytes) -> str:
    return hashlib.sha256(body or b"").hexdigest()


def string_to_sign(*, method: str, path: str, query: str, timestamp: str, nonce: str, body: bytes) -> str:
    """The six-line canonical request described in the module docstring.

    ``path`` is the canonical path (:func:`canonical_path` of what is sent, or
    :func:`encode_path` of what the server received); ``query`` is the raw query string.
    """
    return "\n".join([
        method.upper(),
        path,
        canonical_query(query),
        timestamp,
        nonce,
        body_sha256(body),
    ])


def compute_signature(key: bytes, message: str, signature_method: str = DEFAULT_SIGNATURE_METHOD) -> str:
    """Lower-case hex HMAC of ``message`` under ``key`` with the named method."""
    data = message.encode("utf-8")
    if signature_method == HMAC_SHA256:
        return hmac.new(key, data, hashlib.sha256).hexdigest()
    if signature_method == HMAC_SM3:
        return hmac_sm3_hex(key, data)
    raise ValueError(f"unsupported signature method {signature_method!r}")


def signatures_match(expected: str, given: str) -> bool:
    """Constant-time comparison; hex case does not matter."""
    return hmac.compare_digest(expected.lower().encode("ascii"), given.lower().encode("ascii"))
