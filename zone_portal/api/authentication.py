"""Authentication of partner systems by signed requests (scheme: ``zone_portal.api.signing``).

The checks run cheapest first and the ones that change state last:

1. the four headers are there and well formed, the signature method is supported;
2. the timestamp is within ``API_SIGNATURE_MAX_SKEW`` seconds of the server clock;
3. the key exists;
4. the signature matches — only now is the caller known to hold the secret, so only now is it
   told that its key is revoked, and only now is its nonce spent (an attacker without the secret
   cannot burn a partner's nonces, nor learn which keys were revoked);
5. the nonce has not been seen for this key within twice the allowed skew (Redis ``SET NX``);
6. ``last_used_at`` is updated at most once a minute, by a conditional ``UPDATE``.

A request without any signing header is not this class's business: it returns ``None`` and the
next class (the web session) may authenticate it.
"""

from __future__ import annotations

import time
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Q
from django.http.request import bytes_to_text
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.authentication import BaseAuthentication

from zone_portal.accounts.models import ApiClient, Organization
from zone_portal.core import rawrows

from . import errors, signing

LAST_USED_RESOLUTION = timedelta(minutes=1)
AUTH_SCHEME = "ZP-HMAC"


def nonce_cache_key(key_id: str, nonce: str) -> str:
    return f"api:nonce:{key_id}:{nonce}"


def claim_nonce(key_id: str, nonce: str, *, max_skew: int) -> bool:
    """Remember ``nonce`` for this key; ``False`` when it was already used.

    ``cache.add`` is Redis ``SET NX EX``: of two concurrent requests with the same nonce exactly
    one wins. A request is accepted until ``max_skew`` after its timestamp, and its timestamp can
    be up to ``max_skew`` before the first use, so the nonce is kept for ``2 × max_skew``.
    """
    return cache.add(nonce_cache_key(key_id, nonce), 1, timeout=2 * max_skew)


def touch_last_used(client: ApiClient) -> None:
    """Record that the client called, at most once per minute per client.

    The Python check spares the query on most requests; the conditional ``UPDATE`` makes two
    concurrent requests write at most once.
    """
    now = timezone.now()
    threshold = now - LAST_USED_RESOLUTION
    if client.last_used_at is not None and client.last_used_at >= threshold:
        return
    ApiClient.objects.filter(pk=client.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=threshold)
    ).update(last_used_at=now)
    client.last_used_at = now


# The client and its organization in one raw statement (the ORM's select_related + defer cost
# more to compile than to run, on every signed request). The organization's encrypted contact
# fields are not needed to authenticate: they are left deferred, not fetched and decrypted.
_CLIENT_FIELDS = rawrows.concrete_fields(ApiClient)
_ORG_FIELDS = rawrows.concrete_fields(Organization, exclude=("contact_name", "contact_mobile", "contact_mobile_bidx"))
_CLIENT_BY_KEY = (f"SELECT {rawrows.select_list(_CLIENT_FIELDS, 'c')}, {rawrows.select_list(_ORG_FIELDS, 'o')} "  # noqa: S608
                  f"FROM {ApiClient._meta.db_table} c JOIN {Organization._meta.db_table} o ON o.id = c.organization_id "
                  "WHERE c.key_id = %s")


def client_by_key(key_id: str) -> ApiClient | None:
    """The API client of ``key_id`` with its organization (contact fields deferred), or None."""
    with connection.cursor() as cursor:
        cursor.execute(_CLIENT_BY_KEY, [key_id])
        row = cursor.fetchone()
    if row is None:
        return None
    n = len(_CLIENT_FIELDS)
    client = rawrows.instance(ApiClient, _CLIENT_FIELDS, row[:n])
    client.organization = rawrows.instance(Organization, _ORG_FIELDS, row[n:])
    return client


def _raw_query_string(django_request) -> str:
    # WSGI hands the query over as latin-1 decoded bytes (PEP 3333); undo that to get UTF-8 text.
    raw = django_request.META.get("QUERY_STRING", "")
    return bytes_to_text(raw.encode("iso-8859-1", errors="replace"), "utf-8")


class SignedRequestAuthentication(BaseAuthentication):
    """Authenticate a partner system by ``X-Api-Key``/``X-Timestamp``/``X-Nonce``/``X-Signature``.

    On success ``request.user`` and ``request.auth`` are the :class:`ApiClient`.
    """

    def authenticate(self, request):
        headers = request._request.headers
        if not any(name in headers for name in (*signing.REQUIRED_HEADERS, signing.HEADER_SIGNATURE_METHOD)):
            return None

        missing = [name for name in signing.REQUIRED_HEADERS if not headers.get(name, "").strip()]
        if missing:
            raise errors.AuthMissingHeaders(missing)

        method = headers.get(signing.HEADER_SIGNATURE_METHOD, "").strip().upper()
        method = method or signing.DEFAULT_SIGNATURE_METHOD
        if method not in signing.SIGNATURE_METHODS:
            raise errors.AuthUnsupportedSignatureMethod(method, signing.SIGNATURE_METHODS)

        key_id = headers[signing.HEADER_KEY].strip()
        timestamp = headers[signing.HEADER_TIMESTAMP].strip()
        nonce = headers[signing.HEADER_NONCE].strip()
        signature = headers[signing.HEADER_SIGNATURE].strip()
        if not signing.TIMESTAMP_RE.match(timestamp):
            raise errors.AuthInvalidHeader(signing.HEADER_TIMESTAMP, _("Unix time in whole seconds"))
        if not signing.NONCE_RE.match(nonce):
            raise errors.AuthInvalidHeader(signing.HEADER_NONCE, _("16-64 characters of A-Z a-z 0-9 _ -"))
        if not signing.SIGNATURE_RE.match(signature):
            raise errors.AuthInvalidHeader(signing.HEADER_SIGNATURE, _("64 hexadecimal digits"))

        max_skew = settings.API_SIGNATURE_MAX_SKEW
        now = int(time.time())
        if abs(now - int(timestamp)) > max_skew:
            raise errors.AuthTimestampStale(max_skew=max_skew, server_time=now)

        client = client_by_key(key_id)
        if client is None:
            raise errors.AuthUnknownKey()

        django_request = request._request
        message = signing.string_to_sign(
            method=django_request.method,
            path=signing.encode_path(django_request.path),
            query=_raw_query_string(django_request),
            timestamp=timestamp,
            nonce=nonce,
            body=django_request.body,
        )
        expected = signing.compute_signature(bytes.fromhex(client.signing_key), message, method)
        if not signing.signatures_match(expected, signature):
            raise errors.AuthBadSignature()

        if not client.is_active or not client.organization.is_active:
            raise errors.AuthKeyRevoked()
        if not claim_nonce(client.key_id, nonce, max_skew=max_skew):
            raise errors.AuthNonceReplayed()

        touch_last_used(client)
        return (client, client)

    def authenticate_header(self, request) -> str:
        return f'{AUTH_SCHEME} realm="api"'
