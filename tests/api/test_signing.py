"""The canonical request: the rules partners implement, checked against independent code."""

import hashlib
import hmac
import re
from pathlib import Path

from zone_portal.api import signing

DOC = Path(__file__).resolve().parents[2] / "docs" / "api-signing.md"
SECRET = "zps_example-secret-do-not-use"
BODY = '{"order_no":"ORD-0001","buyer":"张三"}'.encode()


def test_query_pairs_are_decoded_reencoded_and_sorted_by_key_then_value():
    assert signing.canonical_query("b=2&a=x+y&a=%E5%BC%A0&flag&c=/") == (
        "a=%E5%BC%A0&a=x%20y&b=2&c=%2F&flag="
    )
    assert signing.canonical_query("") == ""


def test_path_is_decoded_once_then_encoded_per_rfc_3986():
    assert signing.canonical_path("/api/v1/a%7Eb/%E5%BC%A0/") == "/api/v1/a~b/%E5%BC%A0/"
    assert signing.canonical_path("/api/v1/a~b/张/") == "/api/v1/a~b/%E5%BC%A0/"
    # a literal "%" in a resource name is sent as %25 and must stay one character
    assert signing.canonical_path("/api/v1/a%2525b/") == "/api/v1/a%2525b/"
    assert signing.encode_path("/api/v1/a%25b/") == "/api/v1/a%2525b/"


def test_string_to_sign_and_signatures_match_the_worked_example_in_the_doc():
    message = signing.string_to_sign(
        method="post", path=signing.canonical_path("/api/v1/orders/"),
        query="dry_run=1&batch=a+b&batch=A", timestamp="1767225600",
        nonce="c2lnbmluZy1leGFtcGxl", body=BODY,
    )
    assert message == "\n".join([
        "POST", "/api/v1/orders/", "batch=A&batch=a%20b&dry_run=1", "1767225600",
        "c2lnbmluZy1leGFtcGxl", hashlib.sha256(BODY).hexdigest(),
    ])
    key = hashlib.sha256(SECRET.encode()).digest()
    sha256 = hmac.new(key, message.encode(), hashlib.sha256).hexdigest()
    sm3 = hmac.new(key, message.encode(), "sm3").hexdigest()
    assert signing.compute_signature(signing.signing_key_from_secret(SECRET), message) == sha256
    assert signing.compute_signature(key, message, signing.HMAC_SM3) == sm3
    assert sha256 != sm3

    doc = DOC.read_text(encoding="utf-8")
    assert key.hex() in doc
    assert "```text\n" + message + "\n```" in doc
    assert re.search(rf"`HMAC-SHA256` \| `{sha256}`", doc)
    assert re.search(rf"`HMAC-SM3` \| `{sm3}`", doc)


def test_signature_comparison_ignores_hex_case_only():
    assert signing.signatures_match("ab" * 32, "AB" * 32)
    assert not signing.signatures_match("ab" * 32, "ab" * 31 + "ac")
