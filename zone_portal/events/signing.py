"""How the platform signs a webhook request (docs/webhooks.md is the partner's copy).

Every delivery is a ``POST`` of a UTF-8 JSON body with these headers:

    X-Webhook-Id            the event id (the same event may arrive more than once: de-duplicate on it)
    X-Webhook-Event         the event type, e.g. ``filing.filed``
    X-Webhook-Timestamp     Unix time in whole seconds when this attempt was sent
    X-Webhook-Signature     lower-case hex HMAC-SHA256 of ``f"{timestamp}.{body}"`` keyed with the
                            endpoint's secret (its UTF-8 bytes)
    X-Webhook-Delivery      the delivery id, for support questions

The timestamp is inside the signed text, so a receiver that also refuses old timestamps
(five minutes is a good tolerance) cannot be fed a replay. No Django here: the scheme is stated
once, and the delivery code and the tests both call it.
"""

from __future__ import annotations

import hashlib
import hmac

HEADER_ID = "X-Webhook-Id"
HEADER_EVENT = "X-Webhook-Event"
HEADER_TIMESTAMP = "X-Webhook-Timestamp"
HEADER_SIGNATURE = "X-Webhook-Signature"
HEADER_DELIVERY = "X-Webhook-Delivery"
USER_AGENT = "ZonePortal-Webhooks/1.0"


def signed_text(timestamp: int | str, body: bytes) -> bytes:
    """What is signed: the timestamp, a dot, and the body bytes exactly as sent."""
    return str(timestamp).encode("ascii") + b"." + body


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    """The ``X-Webhook-Signature`` of one request."""
    return hmac.new(secret.encode("utf-8"), signed_text(timestamp, body), hashlib.sha256).hexdigest()


def verify(secret: str, timestamp: int | str, body: bytes, signature: str) -> bool:
    """Constant-time check of a signature (what a receiver does; the tests use it too)."""
    return hmac.compare_digest(sign(secret, timestamp, body), (signature or "").strip().lower())


def headers(*, secret: str, event_id: int, event_type: str, delivery_id: int, timestamp: int,
            body: bytes) -> dict[str, str]:
    """The headers of one delivery attempt."""
    return {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        HEADER_ID: str(event_id),
        HEADER_EVENT: event_type,
        HEADER_TIMESTAMP: str(timestamp),
        HEADER_SIGNATURE: sign(secret, timestamp, body),
        HEADER_DELIVERY: str(delivery_id),
    }
