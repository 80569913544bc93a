"""What the menu and the role dashboards offer, and how later modules add to them.

The portal is the lowest layer (DESIGN.md §3): it cannot import ``filings`` or ``finance``. A
higher app extends the portal from its ``AppConfig.ready()`` instead::

    from zone_portal.portal.registry import register_menu_item, register_queue_provider

    register_menu_item(key="filings", label=_("Filings"), url_name="filings:enterprise_filing",
                       icon="file-earmark-text", roles={roles.ENTERPRISE_ADMIN, ...}, order=20)
    register_queue_provider("enterprise_filings", filings_selectors.enterprise_filing_queue)

A queue provider is a read (a selector of that app): it takes the signed-in user and returns a
``QueueFill`` scoped to what that user may see.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from zone_portal.accounts import roles as r

# Not a role: whoever is not signed in. An entry registered for it is in the public menu, between
# Home and Register (a page for the public, such as the consumer's quota look-up).
VISITOR = "visitor"
ENTERPRISE_ROLES = frozenset({r.ENTERPRISE_ADMIN, r.ENTERPRISE_OPERATOR})
OFFICER_ROLES = frozenset(code for code, role in r.ROLES.items() if role.staff)
EVERY_ROLE = frozenset(r.ROLES)


# --- menu -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MenuItem:
    """A navigation entry for signed-in users of some roles."""

    key: str
    label: str
    url_name: str
    icon: str  # Bootstrap Icons name without the ``bi-`` prefix
    roles: frozenset[str]
    order: int = 50


_MENU: dict[str, MenuItem] = {}


def register_menu_item(*, key: str, label, url_name: str, icon: str, roles: Collection[str],
                       order: int = 50) -> None:
    """Add (or replace, by ``key``) a navigation entry shown to the given roles (``VISITOR``: to
    visitors who are not signed in).

    ``url_name`` may be a URL name (``"app:name"``) or an absolute path (``"/api/docs/"``); the
    entry is shown only while something is routed there.
    """
    _MENU[key] = MenuItem(key=key, label=label, url_name=url_name, icon=icon,
                          roles=frozenset(roles), order=order)


def menu_items_for(role_code: str | None) -> list[MenuItem]:
    """The registered entries of a role, in display order."""
    return sorted((m for m in _MENU.values() if role_code in m.roles), key=lambda m: (m.order, m.key))


register_menu_item(key="home", label=_("Home"), url_name="portal:dashboard", icon="speedometer2",
                   roles=EVERY_ROLE, order=0)
register_menu_item(key="api_clients", label=_("API clients"), url_name="accounts:api_client_list",
                   icon="key", roles={r.ENTERPRISE_ADMIN}, order=80)
register_menu_item(key="back_office", label=_("Back office"), url_name="admin:index", icon="gear",
                   roles=OFFICER_ROLES, order=90)
register_menu_item(key="api_docs", label=_("API docs"), url_name="/api/docs/", icon="braces",
                   roles=ENTERPRISE_ROLES, order=95)


# --- work queues ----------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueItem:
    """One line of a work queue card: what to look at, and where."""

    label: str
    url: str | None = None
    note: str = ""


@dataclass(frozen=True)
class QueueFill:
    """What a module reports for a queue: how many items wait, the first few, the full list."""

    count: int
    items: tuple[QueueItem, ...] = ()
    url: str | None = None


@dataclass(frozen=True)
class QueueSpec:
    """A work queue card of the dashboard and the text it shows while its module is missing."""

    key: str
    title: str
    description: str
    empty_text: str
    icon: str
    roles: frozenset[str]


@dataclass(frozen=True)
class WorkQueue:
    """A card as rendered: the spec plus the module's fill (``None`` until a module provides it)."""

    spec: QueueSpec
    fill: QueueFill | None = None

    @property
    def available(self) -> bool:
        return self.fill is not None


_QUEUES: dict[str, QueueSpec] = {}
_PROVIDERS: dict[str, Callable[..., QueueFill]] = {}


def register_queue(*, key: str, title, description, empty_text, icon: str,
                   roles: Collection[str]) -> None:
    """Declare a work queue card for the given roles (order of declaration is display order)."""
    _QUEUES[key] = QueueSpec(key=key, title=title, description=description, empty_text=empty_text,
                             icon=icon, roles=frozenset(roles))


def register_queue_provider(key: str, provider: Callable[..., QueueFill]) -> None:
    """Fill the queue ``key`` with ``provider(user)`` from now on."""
    if key not in _QUEUES:
        raise KeyError(f"unknown work queue {key!r}; declare it with register_queue() first")
    _PROVIDERS[key] = provider


def unregister_queue_provider(key: str) -> None:
    _PROVIDERS.pop(key, None)


def queue_specs_for(role_code: str | None) -> list[QueueSpec]:
    return [q for q in _QUEUES.values() if role_code in q.roles]


def queue_provider(key: str) -> Callable[..., QueueFill] | None:
    return _PROVIDERS.get(key)


# The cards each role starts with. Their empty texts say honestly which module brings them.
_E = ENTERPRISE_ROLES
register_queue(
    key="enterprise_filing", roles=_E, icon="building-check",
    title=_("Enterprise filing"),
    description=_("File the enterprise once; customs, tax, forex and the other departments "
                  "share the same record."),
    empty_text=_("No filings yet — enterprise filing opens with the filing module."),
)
register_queue(
    key="goods_filings", roles=_E, icon="box-seam",
    title=_("Goods filings"),
    description=_("Goods with their HS codes, declared once and used in every declaration."),
    empty_text=_("No goods filed yet — goods filing opens with the filing module."),
)
register_queue(
    key="declarations", roles=_E, icon="arrow-left-right",
    title=_("Declarations"),
    description=_("Orders, payments, waybills and inventory lists received through the API, "
                  "with their receipts and three-document reconciliation results."),
    empty_text=_("No declarations yet — they appear here once the declaration hub is open and "
                 "your partner systems send documents through the API."),
)
register_queue(
    key="tax_refunds", roles=_E, icon="cash-coin",
    title=_("Export tax refunds"),
    description=_("Refund applications and their processing time limits."),
    empty_text=_("No refund applications — export tax refund opens with the finance module."),
)
register_queue(
    key="enterprise_notices", roles=_E, icon="shield-exclamation",
    title=_("Credit and risk notices"),
    description=_("Your credit grade, records and any risk notice addressed to your enterprise."),
    empty_text=_("No notices — credit and risk notices arrive with the credit and risk modules."),
)

_FILING_REVIEWERS = {r.CUSTOMS_OFFICER, r.TAX_OFFICER, r.FOREX_OFFICER, r.COMMERCE_OFFICER,
                     r.MARKET_OFFICER}
register_queue(
    key="filing_reviews", roles=_FILING_REVIEWERS, icon="building-check",
    title=_("Enterprise filings to review"),
    description=_("Filings submitted by enterprises that wait for your department's decision."),
    empty_text=_("Nothing to review — enterprise filings reach your department once the filing "
                 "module is open."),
)
register_queue(
    key="goods_reviews", roles={r.CUSTOMS_OFFICER}, icon="box-seam",
    title=_("Goods filings to review"),
    description=_("Goods filings with HS codes and declared elements to check."),
    empty_text=_("Nothing to review — goods filings arrive with the filing module."),
)
register_queue(
    key="held_lists", roles={r.CUSTOMS_OFFICER}, icon="search",
    title=_("Inventory lists held for inspection"),
    description=_("Lists the risk assessment routed to inspection, waiting for release or "
                  "rejection."),
    empty_text=_("No lists held — inventory lists and inspection routing arrive with the "
                 "declaration hub and the risk module."),
)
register_queue(
    key="refund_reviews", roles={r.TAX_OFFICER}, icon="cash-coin",
    title=_("Export tax refund applications"),
    description=_("Applications to process within the time limit of the enterprise's class."),
    empty_text=_("No applications — export tax refund opens with the finance module."),
)
register_queue(
    key="settlement_requests", roles={r.FOREX_OFFICER, r.BANK_OFFICER}, icon="currency-exchange",
    title=_("Forex settlement requests"),
    description=_("Settlement requests backed by the platform's trade data."),
    empty_text=_("No requests — forex settlement opens with the finance module."),
)
register_queue(
    key="financing_applications", roles={r.BANK_OFFICER}, icon="bank",
    title=_("Financing applications"),
    description=_("Enterprises' financing applications shared with your bank."),
    empty_text=_("No applications — financing opens with the finance module."),
)
register_queue(
    key="credit_records", roles={r.COMMERCE_OFFICER, r.MARKET_OFFICER, r.ZONE_ADMIN},
    icon="patch-check",
    title=_("Credit records, objections and repairs"),
    description=_("Records to confirm, objections to answer and credit repair requests."),
    empty_text=_("Nothing waiting — the credit archive opens with the credit module."),
)
register_queue(
    key="risk_alerts", roles={r.CUSTOMS_OFFICER, r.MARKET_OFFICER, r.ZONE_ADMIN},
    icon="exclamation-triangle",
    title=_("Risk alerts to dispose"),
    description=_("Early warnings raised by the risk rules, waiting for disposal and review."),
    empty_text=_("No alerts — risk collection, assessment and warning arrive with the risk "
                 "module."),
)
