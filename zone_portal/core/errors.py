"""Domain errors. Services raise them; interface layers translate them for their users."""

from __future__ import annotations

from django.utils.functional import Promise


class ApplicationError(Exception):
    """A business rule refused an action.

    ``code`` is stable and machine-readable (partners switch on it), ``message`` is for people
    and translatable, ``field`` names the input that caused it when there is one.
    """

    code = "application_error"
    http_status = 400

    def __init__(self, message: str | Promise, *, code: str | None = None, field: str | None = None,
                 extra: dict | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        if code:
            self.code = code
        self.field = field
        self.extra = extra or {}


class NotFound(ApplicationError):
    """The object does not exist or is not visible to the caller (both answer 404)."""

    code = "not_found"
    http_status = 404


class PermissionDenied(ApplicationError):
    """The caller is known but may not do this."""

    code = "permission_denied"
    http_status = 403


class Conflict(ApplicationError):
    """The request conflicts with the current state (a repeated transition, a reused key)."""

    code = "conflict"
    http_status = 409
