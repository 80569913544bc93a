"""Links to the reconciliation (三单比对) from other pages: ``{% reconciliation_of document as results %}``
gives the results of the document's trade that the signed-in user may see (none: no link)."""

from __future__ import annotations

from django import template

from filings.reconciliation import selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def reconciliation_of(context, declaration) -> list:
    user = getattr(context.get("request"), "user", None)
    if declaration is None or user is None or not user.is_authenticated:
        return []
    return selectors.results_for_document(user, declaration)
