"""Reading goods filings, scoped to who asks.

An enterprise user sees its own enterprise's goods; a customs officer (staff of a customs
organization) sees all goods; everyone else sees none. Detail look-ups answer 404 for goods the
caller may not see, so that another enterprise's SKU cannot be probed.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from zone_portal.accounts.models import Organization

from .models import GoodsItem, GoodsVersion


def _is_customs_officer(user) -> bool:
    organization = getattr(user, "organization", None)
    return bool(getattr(user, "is_staff", False) and organization is not None
                and organization.kind == Organization.Kind.CUSTOMS)


def _visible_to(user) -> QuerySet[GoodsItem]:
    qs = GoodsItem.objects.select_related("organization", "effective_version")
    if user is None or not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", True):
        return qs.none()
    organization = getattr(user, "organization", None)
    if organization is None:
        return qs.none()
    if _is_customs_officer(user):
        return qs
    if organization.kind == Organization.Kind.ENTERPRISE:
        return qs.filter(organization_id=organization.pk)
    return qs.none()


def goods_list_for_user(*, user, filters: dict | None = None) -> QuerySet[GoodsItem]:
    """The goods ``user`` may see, narrowed by ``filters``: ``status``, ``q`` (SKU, record number or
    a version's name), ``hs_code`` and ``mode`` (of any version) and ``organization`` (officers only)."""
    qs = _visible_to(user)
    filters = filters or {}
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("q"):
        q = str(filters["q"]).strip()
        named = GoodsVersion.objects.filter(item=OuterRef("pk"), name__icontains=q)
        qs = qs.filter(Q(item_no__icontains=q) | Q(record_no__icontains=q) | Exists(named))
    if filters.get("hs_code"):
        # hs_code is a foreign key by code: compare the referenced code (a prefix lookup on the
        # key column itself is refused by Django).
        qs = qs.filter(Exists(GoodsVersion.objects.filter(item=OuterRef("pk"),
                                                          hs_code__hs_code__startswith=str(filters["hs_code"]))))
    if filters.get("mode"):
        qs = qs.filter(Exists(GoodsVersion.objects.filter(item=OuterRef("pk"),
                                                          modes__contains=[str(filters["mode"])])))
    if filters.get("organization") and _is_customs_officer(user):
        qs = qs.filter(organization_id=filters["organization"])
    return qs.order_by("organization_id", "item_no")


def goods_get_for_user(*, user, pk: int) -> GoodsItem:
    """One goods item with its versions, or ``Http404`` when it does not exist or is not visible."""
    item = _visible_to(user).prefetch_related("versions").filter(pk=pk).first()
    if item is None:
        raise Http404("goods item not found")
    return item


def goods_by_record_no(record_no: str) -> GoodsItem | None:
    """The filed item with this record number (``itemRecordNo``) and its version in force, or
    ``None`` — items that are not filed do not count (the declaration hub checks lists with it)."""
    return (GoodsItem.objects.select_related("organization", "effective_version")
            .filter(record_no=record_no, status=GoodsItem.Status.FILED).first())
