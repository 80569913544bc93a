"""The registry of event types (事件类型): what partners subscribe to and find in the feed.

A type reads ``<subject>.<what happened>``. Publishing a type that is not registered here is a
programming error; a webhook endpoint may subscribe only to registered types. Add a type here
before the code that publishes it, and describe its payload in docs/webhooks.md.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

EVENT_TYPES: dict[str, str] = {
    # the declaration hub (申报)
    "declaration.accepted": _("A declared document was accepted by the declaration hub (申报已接收)"),
    "declaration.rejected": _("A declared document was rejected by the declaration hub (申报被退回)"),
    "receipt.created": _("A receipt (回执) was issued for a declared document"),
    "reconciliation.result": _("The three-document reconciliation (三单比对) of an order has a result"),
    "inventory.state": _("An inventory list (清单) changed state"),
    # enterprise filing (企业备案)
    "filing.submitted": _("The enterprise filing application was submitted (企业备案已提交)"),
    "filing.decided": _("A department decided on the enterprise filing application (部门审核意见)"),
    "filing.filed": _("The enterprise is filed (企业备案通过)"),
    "filing.returned": _("The enterprise filing application was returned for correction (企业备案退回修改)"),
    "filing.rejected": _("The enterprise filing application was rejected (企业备案不予通过)"),
    "filing.revoked": _("The enterprise filing was revoked (企业备案注销)"),
    "filing.changed": _("A change of the enterprise filing came into force (企业备案变更生效)"),
    # goods filing (商品备案)
    "goods.filed": _("A goods item was filed (商品备案通过)"),
    "goods.rejected": _("A goods filing was rejected (商品备案不予通过)"),
}


def is_known(event_type: str) -> bool:
    return event_type in EVENT_TYPES


def unknown_types(event_types) -> list[str]:
    return [t for t in event_types if t not in EVENT_TYPES]


def type_choices() -> list[tuple[str, str]]:
    return [(code, f"{code} — {label}") for code, label in EVENT_TYPES.items()]
