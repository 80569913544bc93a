"""Which organization's data a caller sees as its own, for scoping querysets.

The same rule for both kinds of enterprise caller: a partner API client acts for the
organization it belongs to, an enterprise user for the enterprise they work for. Officers are not
scoped this way (a department sees what it reviews, decided by that app's selectors), so for them
— and for anonymous callers — the helpers give nothing rather than everything.

No DRF here: selectors may call these with the actor they were given.
"""

from __future__ import annotations

from django.db.models import QuerySet

from zone_portal.accounts.models import ApiClient


def caller_organization_id(actor) -> int | None:
    """The organization id of an API client or an enterprise user; ``None`` for anyone else."""
    if isinstance(actor, ApiClient):
        return actor.organization_id
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None
    if getattr(actor, "is_enterprise_user", False):
        return actor.organization_id
    return None


def scope_to_caller_organization(queryset: QuerySet, actor, *, field: str = "organization") -> QuerySet:
    """``queryset`` limited to rows whose ``field`` is the caller's organization.

    ``field`` is a lookup path to the organization foreign key (``"organization"``,
    ``"filing__organization"`` …). Officers and anonymous callers get an empty queryset.
    """
    organization_id = caller_organization_id(actor)
    if organization_id is None:
        return queryset.none()
    return queryset.filter(**{f"{field}_id": organization_id})
