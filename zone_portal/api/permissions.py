"""Who may call an endpoint: partner clients by scope, signed-in users by Django permission.

One permission class serves both kinds of caller, and refuses by default::

    class OrderViewSet(IdempotencyMixin, viewsets.ModelViewSet):
        permission_classes = [IsAuthenticated, HasScope]
        required_scopes = {"GET": ["order:read"], "POST": ["order:write"]}
        # web users calling from the browser: Django permissions, per method
        required_perms = {"GET": [], "POST": ["filings.add_order"]}

- An API client needs every scope listed for the request's method. A method the view
  implements but does not list is refused (``scope_missing``): a view cannot expose a method to
  partners by forgetting to declare it. ``[]`` means "any client".
- A signed-in user needs every permission listed in ``required_perms`` for the method
  (``[]``: any signed-in user). A view without ``required_perms``, or without the method in it,
  refuses users (``permission_denied``) — it is a partner-only endpoint.
- What rows either may see is the queryset's business: scope it with
  ``zone_portal.api.scoping.scope_to_caller_organization``.

For one action, ``scope_required("order:write", user_perms=["filings.add_order"])`` builds the
same check without the per-method tables, e.g. ``@action(permission_classes=[...])``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from rest_framework.permissions import BasePermission

from zone_portal.accounts.models import ApiClient

from . import errors


def _for_method(table: Mapping[str, Iterable[str]], method: str) -> list[str] | None:
    if method in table:
        return list(table[method])
    if method in ("HEAD", "OPTIONS") and "GET" in table:
        return list(table["GET"])
    return None


def _check(request, *, scopes: list[str] | None, perms: list[str] | None) -> bool:
    caller = request.user
    if isinstance(caller, ApiClient):
        if scopes is None:
            raise errors.ScopeMissing([])
        missing = set(scopes) - set(caller.scopes)
        if missing:
            raise errors.ScopeMissing(missing)
        return True
    if not (caller and caller.is_authenticated):
        return False  # DRF answers not_authenticated
    return perms is not None and caller.has_perms(perms)


class HasScope(BasePermission):
    """Scopes for API clients, Django permissions for users, per HTTP method (see module doc)."""

    code = "permission_denied"  # DRF's own (translated) message goes with it

    def has_permission(self, request, view) -> bool:
        method = request.method.upper()
        if not hasattr(view, method.lower()) and method not in ("HEAD", "OPTIONS"):
            return True  # the view answers 405 method_not_allowed
        scopes = _for_method(getattr(view, "required_scopes", {}) or {}, method)
        perms_table = getattr(view, "required_perms", None)
        perms = _for_method(perms_table, method) if perms_table is not None else None
        return _check(request, scopes=scopes, perms=perms)


def scope_required(*scopes: str, user_perms: Iterable[str] | None = None) -> type[BasePermission]:
    """A permission class: clients need ``scopes``; users need ``user_perms`` (``None``: refused)."""
    needed_scopes = list(scopes)
    needed_perms = None if user_perms is None else list(user_perms)

    class ScopeRequired(BasePermission):
        code = "permission_denied"

        def has_permission(self, request, view) -> bool:
            return _check(request, scopes=needed_scopes, perms=needed_perms)

    ScopeRequired.__name__ = ScopeRequired.__qualname__ = f"ScopeRequired({', '.join(needed_scopes)})"
    return ScopeRequired
