"""Links to clearance (清单核放) from other pages: ``{% clearance_of document as inventory_list %}``
gives the declared inventory list as the signed-in user may see it in clearance, with its tax
bill's number (``tax_no``), or ``None`` (no link)."""

from __future__ import annotations

from django import template

from filings.clearance import selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def clearance_of(context, declaration):
    user = getattr(context.get("request"), "user", None)
    if declaration is None or user is None or not user.is_authenticated:
        return None
    return selectors.list_for_document(user, declaration)
