"""OpenAPI description of the signed-request scheme (drf-spectacular extension).

OpenAPI has no scheme made of four headers, so the scheme is declared as an API key in
``X-Api-Key`` and its description states the other headers and the string to sign. Imported by
``ApiConfig.ready()`` so that the extension is registered before any schema is generated.
"""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension

SIGNED_REQUEST_DESCRIPTION = """\
Every request is signed with the client's secret (see docs/api-signing.md).

Headers:

- `X-Api-Key`: the client's key id;
- `X-Timestamp`: Unix time in seconds (refused when more than {max_skew} seconds off);
- `X-Nonce`: 16–64 characters of `[A-Za-z0-9_-]`, never reused;
- `X-Signature`: lower-case hex HMAC of the string to sign, keyed with the raw SHA-256 of the secret;
- `X-Signature-Method`: `HMAC-SHA256` (default) or `HMAC-SM3`.

String to sign (lines joined with `\\n`): METHOD, path (RFC 3986), canonical query (pairs
percent-encoded, sorted by key then value, joined with `&`), X-Timestamp, X-Nonce,
hex SHA-256 of the body.
"""


class SignedRequestScheme(OpenApiAuthenticationExtension):
    target_class = "zone_portal.api.authentication.SignedRequestAuthentication"
    name = "SignedRequest"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "X-Api-Key",
            "description": SIGNED_REQUEST_DESCRIPTION.format(max_skew=settings.API_SIGNATURE_MAX_SKEW),
        }
