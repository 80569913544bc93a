"""Request id: taken from ``X-Request-Id`` when a proxy sets a sane one, else made up; echoed back."""

import re

from . import request_context

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestIdMiddleware:
    """Give every request an id that appears in its logs, its audit events and its response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-Id", "")
        request_id = incoming if _SAFE_ID.match(incoming) else request_context.new_request_id()
        request.request_id = request_id
        tokens = request_context.bind(request_id, request.META.get("REMOTE_ADDR"))
        try:
            response = self.get_response(request)
        finally:
            request_context.unbind(tokens)
        response["X-Request-Id"] = request_id
        return response
