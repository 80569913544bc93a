"""One JSON shape for every API error, in the caller's language.

Every error answer is a JSON object with

- ``code``: stable and machine-readable (``auth_bad_signature``, ``validation_error`` …);
- ``message``: for people, in the language of ``Accept-Language`` (English or Chinese);
- ``field``: the input the error is about (a body field as a dotted path such as
  ``lines.0.qty``, a query parameter, or a header such as ``X-Timestamp``), else ``null``;

and, for ``validation_error`` only,

- ``errors``: every problem found, each again ``{"code", "message", "field"}`` (the item codes
  are DRF's: ``required``, ``invalid``, ``max_length`` …). With exactly one problem the
  top-level ``message`` and ``field`` are that problem's; with several, ``message`` is a summary
  and ``field`` is ``null``.

A domain ``ApplicationError`` keeps its own code, message, field and HTTP status; its ``extra``
dictionary, when not empty, is returned as ``details``.

The answer is always JSON, whatever ``Accept`` asked for. An unexpected exception is logged with
its traceback and answered ``500 server_error`` (with ``DEBUG`` on it is re-raised, so that the
developer sees Django's debug page).
"""

from __future__ import annotations

import logging
import math
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import set_rollback

from zone_portal.core.errors import ApplicationError

logger = logging.getLogger("zone_portal.api")

VALIDATION_ERROR = "validation_error"


def error_body(code: str, message: Any, field: str | None = None, **more: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": str(message), "field": field}
    body.update({key: value for key, value in more.items() if value})
    return body


def json_error(code: str, message: Any, *, status_code: int, field: str | None = None) -> JsonResponse:
    """An error answer for plain Django views (the API's 404 and 500 handlers)."""
    return JsonResponse(error_body(code, message, field), status=status_code,
                        json_dumps_params={"ensure_ascii": False})


def flatten_errors(detail: Any, path: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """DRF's nested error structure as a flat list of ``{"code", "message", "field"}``."""
    if isinstance(detail, dict):
        items: list[dict[str, Any]] = []
        for key, value in detail.items():
            items.extend(flatten_errors(value, (*path, str(key))))
        return items
    if isinstance(detail, list):
        items = []
        for index, value in enumerate(detail):
            # a list of messages belongs to the field itself; a list of objects is indexed
            sub_path = (*path, str(index)) if isinstance(value, (dict, list)) else path
            items.extend(flatten_errors(value, sub_path))
        return items
    parts = [p for p in path if p != api_settings.NON_FIELD_ERRORS_KEY]
    return [error_body(getattr(detail, "code", None) or "invalid", detail, ".".join(parts) or None)]


def _api_exception_body(exc: exceptions.APIException) -> dict[str, Any]:
    if isinstance(exc, exceptions.ValidationError):
        items = flatten_errors(exc.detail)
        if len(items) == 1:
            return error_body(VALIDATION_ERROR, items[0]["message"], items[0]["field"], errors=items)
        return error_body(VALIDATION_ERROR, _("Invalid input."), None, errors=items)
    detail = exc.detail
    if isinstance(detail, (list, dict)):  # a view raised e.g. PermissionDenied({...})
        items = flatten_errors(detail)
        first = items[0] if items else error_body(exc.default_code, exc.default_detail)
        return error_body(exc.default_code, first["message"], getattr(exc, "field", None) or first["field"])
    code = getattr(detail, "code", None) or exc.default_code
    return error_body(code, detail, getattr(exc, "field", None))


def _response(request, body: dict[str, Any], status_code: int, headers: dict[str, str]) -> Response:
    if request is not None:
        # Errors are JSON whatever the client asked for; finalize_response takes the renderer
        # from the request, so that is where it is forced.
        request.accepted_renderer = JSONRenderer()
        request.accepted_media_type = "application/json"
    return Response(body, status=status_code, headers=headers)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's ``EXCEPTION_HANDLER``: every error as ``{"code", "message", "field"}``."""
    request = context.get("request")
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        exc = exceptions.APIException(_("The request body is too large."), code="payload_too_large")
        exc.status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    elif isinstance(exc, SuspiciousOperation):
        exc = exceptions.APIException(_("The request was refused as malformed."), code="bad_request")
        exc.status_code = status.HTTP_400_BAD_REQUEST

    headers: dict[str, str] = {}
    if isinstance(exc, ApplicationError):
        body = error_body(exc.code, exc.message, exc.field, details=exc.extra)
        status_code = exc.http_status
    elif isinstance(exc, exceptions.APIException):
        body = _api_exception_body(exc)
        status_code = exc.status_code
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(max(1, math.ceil(exc.wait)))
    else:
        if settings.DEBUG:
            return None
        view = context.get("view")
        logger.exception("Unhandled exception in API view %s", type(view).__name__ if view else "?")
        body = error_body("server_error", _("A server error occurred."))
        status_code = status.HTTP_500_INTERNAL_SERVER_ERROR

    set_rollback()
    return _response(request, body, status_code, headers)
