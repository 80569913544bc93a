"""Reads of the declaration hub, scoped to the caller.

An enterprise (its users and its API clients) sees the documents it declared and those that
name it as a party (the platform sees the payment and the waybill of its order; a payment
company never sees another company's payments). Customs officers see everything. Personal fields
are returned masked, to every caller: a platform never sees a payer's full ID number.
"""

from __future__ import annotations

import json
from datetime import datetime

from django.db.models import Q, QuerySet

from zone_portal.accounts.models import ApiClient
from zone_portal.api.scoping import caller_organization_id
from zone_portal.core.errors import NotFound
from zone_portal.core.masking import mask_address, mask_id_number, mask_name, mask_phone

from ..models import Declaration, DeclarationReceipt, DeclarationVersion
from .spec import PERSONAL_FIELDS

VIEW_ALL_PERMISSION = "filings.view_declaration"
MASKERS = {"id_number": mask_id_number, "mobile": mask_phone, "name": mask_name, "address": mask_address,
           "text": lambda v: (v[:1] + "***") if v else v}


def _sees_all(actor) -> bool:
    return not isinstance(actor, ApiClient) and getattr(actor, "is_authenticated", False) and \
        not getattr(actor, "is_enterprise_user", False) and actor.has_perm(VIEW_ALL_PERMISSION)


def declarations_for(actor) -> QuerySet[Declaration]:
    if _sees_all(actor):
        return Declaration.objects.all()
    org_id = caller_organization_id(actor)
    if org_id is None:
        return Declaration.objects.none()
    return Declaration.objects.filter(Q(organization_id=org_id) | Q(parties__contains=[org_id]))


def declaration_search(actor, filters: dict) -> QuerySet[Declaration]:
    qs = declarations_for(actor)
    for name in ("kind", "direction", "doc_type", "trade_mode", "order_no", "logistics_no", "invt_no"):
        value = (filters.get(name) or "").strip()
        if value:
            qs = qs.filter(**{name: value})
    status = (filters.get("status") or "").strip()
    if status == "accepted":
        qs = qs.exclude(return_status__startswith="-")
    elif status:
        qs = qs.filter(return_status=status)
    if filters.get("date_from"):
        qs = qs.filter(declared_at__date__gte=filters["date_from"])
    if filters.get("date_to"):
        qs = qs.filter(declared_at__date__lte=filters["date_to"])
    q = (filters.get("q") or "").strip()
    if q:
        qs = qs.filter(Q(order_no=q) | Q(logistics_no=q) | Q(invt_no=q) | Q(cop_no=q) | Q(guid=q.upper()))
    return qs.order_by("-declared_at", "-id")


def declaration_get(actor, pk: int) -> Declaration:
    found = declarations_for(actor).filter(pk=pk).first()
    if found is None:
        raise NotFound("declaration not found")
    return found


def masked_personal(version: DeclarationVersion) -> dict:
    if not version.personal:
        return {}
    data = json.loads(version.personal)
    return {name: MASKERS[PERSONAL_FIELDS.get(name, "text")](value) for name, value in data.items()}


def version_content(version: DeclarationVersion) -> dict:
    """The version's header (personal fields masked, in the header) and lines."""
    head = dict(version.head)
    head.update(masked_personal(version))
    return {"head": head, "lines": version.lines}


def receipts_for(actor) -> QuerySet[DeclarationReceipt]:
    if _sees_all(actor):
        return DeclarationReceipt.objects.all()
    org_id = caller_organization_id(actor)
    if org_id is None:
        return DeclarationReceipt.objects.none()
    return DeclarationReceipt.objects.filter(organization_id=org_id)


def receipt_feed(actor, *, after: int = 0, limit: int = 100, kind: str = "", guid: str = "",
                 since: datetime | None = None) -> list[DeclarationReceipt]:
    # Only receipts whose transaction is older than every transaction still running: ids commit out
    # of order, and a reader that moved past id n must never later miss a smaller one.
    qs = receipts_for(actor).filter(id__gt=after).extra(
        where=["(txid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint"
               " OR txid = pg_current_xact_id_if_assigned()::text::bigint)"])
    if kind:
        qs = qs.filter(kind=kind)
    if guid:
        qs = qs.filter(guid=guid.upper())
    if since:
        qs = qs.filter(return_time__gte=since)
    return list(qs.order_by("id")[:limit])
