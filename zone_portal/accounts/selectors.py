"""Reads of the accounts kernel, always scoped to the caller.

The ``*_get_for_user`` helpers raise ``Http404`` for anything the caller may not see, so that a
page or endpoint never reveals whether another enterprise's object exists.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from . import roles
from .models import ApiClient, Organization, User


def _is_zone_admin(user) -> bool:
    if getattr(user, "is_superuser", False):
        return True
    role = roles.role_of(user) if getattr(user, "pk", None) else None
    return bool(role and role.code == roles.ZONE_ADMIN)


def organization_list_for_user(*, user) -> QuerySet[Organization]:
    """Enterprise users see their own organization; officers see enterprises and their own
    department; the zone administrator sees every organization."""
    qs = Organization.objects.all()
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    if _is_zone_admin(user):
        return qs
    if isinstance(user, ApiClient) or getattr(user, "is_enterprise_user", False):
        return qs.filter(pk=user.organization_id)
    if getattr(user, "is_officer", False) and user.has_perm("accounts.view_organization"):
        return qs.filter(kind=Organization.Kind.ENTERPRISE) | qs.filter(pk=user.organization_id)
    if getattr(user, "organization_id", None):
        return qs.filter(pk=user.organization_id)
    return qs.none()


def organization_get_for_user(*, user, pk: int) -> Organization:
    try:
        return organization_list_for_user(user=user).get(pk=pk)
    except (Organization.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def api_client_list_for_user(*, user) -> QuerySet[ApiClient]:
    """An enterprise administrator sees its enterprise's clients; the zone administrator all."""
    qs = ApiClient.objects.select_related("organization", "created_by")
    if not getattr(user, "is_authenticated", False) or isinstance(user, ApiClient):
        return qs.none()
    if _is_zone_admin(user):
        return qs
    if user.has_perm("accounts.manage_api_clients") and user.organization_id:
        return qs.filter(organization_id=user.organization_id)
    return qs.none()


def api_client_get_for_user(*, user, pk: int) -> ApiClient:
    try:
        return api_client_list_for_user(user=user).get(pk=pk)
    except (ApiClient.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def user_list_for_user(*, user) -> QuerySet[User]:
    """Users an administrator manages: the zone administrator all, an enterprise admin its own."""
    qs = User.objects.select_related("organization").prefetch_related("groups")
    if not getattr(user, "is_authenticated", False) or isinstance(user, ApiClient):
        return qs.none()
    if _is_zone_admin(user):
        return qs
    if user.has_perm("accounts.manage_own_users") and user.organization_id:
        return qs.filter(organization_id=user.organization_id)
    return qs.filter(pk=user.pk)


def api_client_by_key(*, key_id: str) -> ApiClient | None:
    """The client for an ``X-Api-Key`` header, with its organization (authentication path)."""
    return ApiClient.objects.select_related("organization").filter(key_id=key_id).first()
