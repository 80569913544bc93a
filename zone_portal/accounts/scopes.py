"""API client scopes: which document kinds a partner system may submit (write) and read.

A scope reads ``<kind>:<read|write>``. Later issues add kinds here as their endpoints arrive.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

DOCUMENT_KINDS: dict[str, str] = {
    "enterprise_filing": _("Enterprise filings (企业备案)"),
    "goods": _("Goods filings (商品备案)"),
    "order": _("Orders (订单)"),
    "payment": _("Payments (支付单)"),
    "receipt": _("Receipts (收款单)"),
    "waybill": _("Waybills (运单)"),
    "logistics_event": _("Logistics events (物流状态)"),
    "inventory_list": _("Inventory lists (清单)"),
    "summary": _("Summary declarations (汇总申报)"),
    "events": _("Event feed and webhooks (事件)"),
}

SCOPES: dict[str, str] = {}
for _kind, _label in DOCUMENT_KINDS.items():
    SCOPES[f"{_kind}:read"] = _label
    SCOPES[f"{_kind}:write"] = _label


def scope_choices() -> list[tuple[str, str]]:
    return [(code, f"{code} — {label}") for code, label in SCOPES.items()]


def unknown_scopes(scopes) -> list[str]:
    return [s for s in scopes if s not in SCOPES]
