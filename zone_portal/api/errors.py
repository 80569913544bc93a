"""The API's own error types, each with a stable machine code partners may switch on.

Every error answer has the shape ``{"code", "message", "field"}`` (see
``zone_portal.api.exceptions``). The classes here carry the ``field`` the error is about — for
the signing errors that is the header's name — and a message built in the caller's language
(LocaleMiddleware has activated it from ``Accept-Language`` before any view runs).

The codes, for the documentation and for partners:

=====================================  ======  =====================================================
code                                   status  when
=====================================  ======  =====================================================
not_authenticated                      401     no signature headers and no session
auth_missing_headers                   401     some of X-Api-Key, X-Timestamp, X-Nonce, X-Signature
auth_invalid_header                    401     a signing header is malformed
auth_unsupported_signature_method      401     X-Signature-Method is not HMAC-SHA256 / HMAC-SM3
auth_timestamp_stale                   401     X-Timestamp more than API_SIGNATURE_MAX_SKEW away
auth_unknown_key                       401     no client has this X-Api-Key
auth_bad_signature                     401     X-Signature does not match the request
auth_key_revoked                       401     the key is revoked (told only to a correct signer)
auth_nonce_replayed                    401     this X-Nonce was already used with this key
scope_missing                          403     the client lacks a scope the endpoint needs
permission_denied                      403     a signed-in user lacks the permission
idempotency_key_invalid                400     Idempotency-Key empty, too long or not printable
idempotency_key_conflict               409     the Idempotency-Key was used with another request
idempotency_in_progress                409     the first request with this key is still running
throttled                              429     too many requests; see Retry-After
validation_error                       400     the input is invalid; see ``errors``
parse_error                            400     the body is not valid JSON (or the declared type)
not_found                              404     no such resource (or not yours)
method_not_allowed                     405     the endpoint does not take this HTTP method
server_error                           500     a fault on the platform's side
=====================================  ======  =====================================================
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext as _
from rest_framework import exceptions, status


class ApiError(exceptions.APIException):
    """An API error with a stable ``code`` and, when it concerns one input, its ``field``."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "error"
    field: str | None = None

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(detail=message, code=self.default_code)
        if field is not None:
            self.field = field


class SignatureError(exceptions.AuthenticationFailed):
    """A signed request was refused (401 with ``WWW-Authenticate``)."""

    default_code = "auth_failed"
    field: str | None = None

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(detail=message, code=self.default_code)
        if field is not None:
            self.field = field


class AuthMissingHeaders(SignatureError):
    default_code = "auth_missing_headers"

    def __init__(self, missing: Iterable[str]) -> None:
        missing = list(missing)
        super().__init__(
            _("The request is not fully signed: header(s) %(headers)s missing.")
            % {"headers": ", ".join(missing)},
            field=missing[0] if missing else None,
        )


class AuthInvalidHeader(SignatureError):
    default_code = "auth_invalid_header"

    def __init__(self, header: str, expected: str) -> None:
        super().__init__(
            _("The %(header)s header is malformed: expected %(expected)s.")
            % {"header": header, "expected": expected},
            field=header,
        )


class AuthUnsupportedSignatureMethod(SignatureError):
    default_code = "auth_unsupported_signature_method"

    def __init__(self, given: str, supported: Iterable[str]) -> None:
        super().__init__(
            _("The signature method %(given)s is not supported; use one of %(supported)s.")
            % {"given": given[:40], "supported": ", ".join(supported)},
            field="X-Signature-Method",
        )


class AuthTimestampStale(SignatureError):
    default_code = "auth_timestamp_stale"

    def __init__(self, *, max_skew: int, server_time: int) -> None:
        super().__init__(
            _("The request timestamp is more than %(skew)d seconds away from the server time "
              "(%(now)d). Check the clock of the calling system.")
            % {"skew": max_skew, "now": server_time},
            field="X-Timestamp",
        )


class AuthUnknownKey(SignatureError):
    default_code = "auth_unknown_key"

    def __init__(self) -> None:
        super().__init__(_("No API client has this key."), field="X-Api-Key")


class AuthKeyRevoked(SignatureError):
    default_code = "auth_key_revoked"

    def __init__(self) -> None:
        super().__init__(
            _("This API key has been revoked. Ask your organization's administrator for a new one."),
            field="X-Api-Key",
        )


class AuthBadSignature(SignatureError):
    default_code = "auth_bad_signature"

    def __init__(self) -> None:
        super().__init__(
            _("The signature does not match the request. Sign the method, path, query, timestamp, "
              "nonce and the SHA-256 of the body as the signing guide describes."),
            field="X-Signature",
        )


class AuthNonceReplayed(SignatureError):
    default_code = "auth_nonce_replayed"

    def __init__(self) -> None:
        super().__init__(
            _("This nonce has already been used. Send every request with a new X-Nonce."),
            field="X-Nonce",
        )


class ScopeMissing(ApiError):
    status_code = status.HTTP_403_FORBIDDEN
    default_code = "scope_missing"

    def __init__(self, missing: Iterable[str]) -> None:
        missing = sorted(missing)
        if missing:
            message = _("This API client lacks the scope(s) %(scopes)s needed here.") % {
                "scopes": ", ".join(missing)}
        else:
            message = _("API clients may not use this endpoint with this method.")
        super().__init__(message)


class IdempotencyKeyInvalid(ApiError):
    default_code = "idempotency_key_invalid"

    def __init__(self) -> None:
        super().__init__(
            _("The Idempotency-Key header must be 1 to 255 printable ASCII characters."),
            field="Idempotency-Key",
        )


class IdempotencyKeyConflict(ApiError):
    status_code = status.HTTP_409_CONFLICT
    default_code = "idempotency_key_conflict"

    def __init__(self) -> None:
        super().__init__(
            _("This Idempotency-Key was already used for a different request. "
              "Use a new key for a new request."),
            field="Idempotency-Key",
        )


class IdempotencyInProgress(ApiError):
    status_code = status.HTTP_409_CONFLICT
    default_code = "idempotency_in_progress"
    wait = 1  # seconds: sent as Retry-After

    def __init__(self) -> None:
        super().__init__(
            _("A request with this Idempotency-Key is still being processed. Retry shortly."),
            field="Idempotency-Key",
        )
