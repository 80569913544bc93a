"""``Idempotency-Key`` on POST: a retried request gets the first answer instead of a second write.

How it works (``IdempotencyMixin``, first among a view's bases):

- after authentication, permissions and throttling (so that nobody can read or block another
  caller's answers, and a refused request reserves nothing), a POST carrying ``Idempotency-Key``
  is fingerprinted: SHA-256 of method, path, canonical query and body;
- the record lives in Redis under (caller, key) — caller is the API client or the user, so two
  partners may use the same key — for ``API_IDEMPOTENCY_TTL`` seconds;
- the first request takes the record with ``SET NX`` (state "in progress") and runs; its answer
  (status, body, ``Content-Type``/``Location``/``Content-Language``) replaces the record, unless
  it is a 5xx (a failure on our side must stay retryable, so the record is dropped);
- the same key with the same fingerprint gets that answer again, with
  ``Idempotent-Replayed: true``; with another fingerprint, 409 ``idempotency_key_conflict``;
  while the first is still running, 409 ``idempotency_in_progress`` with ``Retry-After``.

The key is optional (an endpoint whose documents carry natural keys is idempotent anyway);
a view sets ``idempotency_key_required = True`` to insist on it. Anonymous callers are not
tracked (there is nobody to scope the key to).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions
from rest_framework.views import APIView

from zone_portal.accounts.models import ApiClient

from . import errors, signing

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEPT_HEADERS = ("Content-Type", "Location", "Content-Language")
_KEY_RE = re.compile(r"^[\x20-\x7e]{1,255}$")
IN_PROGRESS = "in_progress"
DONE = "done"


def lock_timeout() -> int:
    """How long an unfinished first request holds its key (a crashed worker frees it then)."""
    return int(getattr(settings, "API_IDEMPOTENCY_LOCK_TIMEOUT", 60))


def caller_ident(user) -> str | None:
    if isinstance(user, ApiClient):
        return f"client:{user.pk}"
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return None


def request_fingerprint(django_request) -> str:
    """SHA-256 over what makes two requests "the same": method, path, query and body."""
    digest = hashlib.sha256()
    for part in (
        django_request.method.encode(),
        signing.encode_path(django_request.path).encode(),
        signing.canonical_query(django_request.META.get("QUERY_STRING", "")).encode(),
    ):
        digest.update(part)
        digest.update(b"\n")
    digest.update(django_request.body)
    return digest.hexdigest()


@dataclass
class Claim:
    """The lock the first request with a key holds until its answer is stored."""

    cache_key: str
    fingerprint: str


class Replay(Exception):
    """Not an error: carries the stored answer out of ``initial()`` to ``handle_exception()``."""

    def __init__(self, response: HttpResponse) -> None:
        super().__init__("idempotent replay")
        self.response = response


def _replay_response(record: dict) -> HttpResponse:
    response = HttpResponse(record["body"], status=record["status"])
    for name, value in record["headers"].items():
        response[name] = value
    response[REPLAYED_HEADER] = "true"
    return response


def begin(request) -> Claim | None:
    """Claim the request's key, or raise :class:`Replay` / a 409 error. ``None``: nothing to track."""
    key = request._request.headers.get(HEADER)
    if key is None:
        return None
    if not _KEY_RE.match(key):
        raise errors.IdempotencyKeyInvalid()
    ident = caller_ident(request.user)
    if ident is None:
        return None
    cache_key = f"api:idem:{ident}:{hashlib.sha256(key.encode()).hexdigest()}"
    fingerprint = request_fingerprint(request._request)
    for _attempt in range(3):
        # SET NX first: a new key (nearly every request) costs one round trip
        if cache.add(cache_key, {"state": IN_PROGRESS, "fingerprint": fingerprint}, timeout=lock_timeout()):
            return Claim(cache_key, fingerprint)
        record = cache.get(cache_key)
        if record is None:
            continue  # it expired or was freed between our add and get: try again
        if record["fingerprint"] != fingerprint:
            raise errors.IdempotencyKeyConflict()
        if record["state"] == IN_PROGRESS:
            raise errors.IdempotencyInProgress()
        raise Replay(_replay_response(record))
    raise errors.IdempotencyInProgress()


def finish(claim: Claim, response: HttpResponse) -> None:
    """Store the first answer (2xx–4xx) for replay, or free the key after a 5xx."""
    if response.status_code >= 500 or getattr(response, "streaming", False):
        cache.delete(claim.cache_key)
        return
    if hasattr(response, "render") and not getattr(response, "is_rendered", True):
        response.render()
    record = {
        "state": DONE,
        "fingerprint": claim.fingerprint,
        "status": response.status_code,
        "headers": {name: response[name] for name in KEPT_HEADERS if name in response},
        "body": bytes(response.content),
    }
    cache.set(claim.cache_key, record, timeout=settings.API_IDEMPOTENCY_TTL)


def abandon(claim: Claim) -> None:
    cache.delete(claim.cache_key)


class IdempotentAutoSchema(AutoSchema):
    """Documents the optional ``Idempotency-Key`` header on POST operations."""

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        if self.method == "POST":
            parameters.append(OpenApiParameter(
                HEADER, str, OpenApiParameter.HEADER,
                required=bool(getattr(self.view, "idempotency_key_required", False)),
                description=_(
                    "Up to 255 printable characters, unique per intended operation. A retry with "
                    "the same key and body gets the first answer (header Idempotent-Replayed: "
                    "true); the same key with another body is refused with 409."),
            ))
        return parameters


class IdempotencyMixin:
    """Gives a DRF view ``Idempotency-Key`` handling on POST. Put it first among the bases."""

    idempotent_methods: tuple[str, ...] = ("POST",)
    idempotency_key_required = False
    schema = IdempotentAutoSchema()

    def initial(self, request, *args, **kwargs):
        self._idempotency_claim = None
        if request.method in self.idempotent_methods and HEADER in request._request.headers:
            # Keep the raw body before the CSRF check or a parser consumes the stream (a
            # multipart form would otherwise leave nothing to fingerprint).
            request._request.body  # noqa: B018
        super().initial(request, *args, **kwargs)
        if request.method in self.idempotent_methods:
            if self.idempotency_key_required and HEADER not in request._request.headers:
                raise exceptions.ValidationError({HEADER: [_("This header is required.")]},
                                                 code="required")
            self._idempotency_claim = begin(request)

    def handle_exception(self, exc):
        if isinstance(exc, Replay):
            return exc.response
        try:
            return super().handle_exception(exc)
        except Exception:
            self._idempotency_release()
            raise

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        claim = getattr(self, "_idempotency_claim", None)
        if claim is not None:
            self._idempotency_claim = None
            finish(claim, response)
        return response

    def _idempotency_release(self) -> None:
        claim = getattr(self, "_idempotency_claim", None)
        if claim is not None:
            self._idempotency_claim = None
            abandon(claim)


class IdempotentAPIView(IdempotencyMixin, APIView):
    """An ``APIView`` whose POST honours ``Idempotency-Key``."""
