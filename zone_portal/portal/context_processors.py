"""Template context shared by every page: the menu of the signed-in user's role."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import get_script_prefix
from django.utils.translation import gettext_lazy as _

from zone_portal.accounts import roles

from .links import path_or_none, url_or_none
from .registry import VISITOR, menu_items_for

API_DOCS_PATH = "/api/docs/"


@dataclass(frozen=True)
class MenuEntry:
    """One entry of the navigation bar, resolved for the current request."""

    label: str
    url: str
    icon: str  # a Bootstrap Icons name, without the ``bi-`` prefix
    active: bool = False


def _resolve(target: str) -> str | None:
    return path_or_none(target) if target.startswith("/") else url_or_none(target)


def _entries(request, candidates) -> list[MenuEntry]:
    """Keep the entries whose page exists; mark the one the request is on."""
    entries = []
    for label, url, icon in candidates:
        if not url:
            continue  # the page arrives with a later module: no dead link meanwhile
        # a section is active on every page under it; the site root only on itself
        active = request.path == url if url == get_script_prefix() else request.path.startswith(url)
        entries.append(MenuEntry(label=label, url=url, icon=icon, active=active))
    return entries


def user_role(request):
    """The signed-in user's role, looked up once per request."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    if not hasattr(request, "_portal_role"):
        request._portal_role = roles.role_of(user)
    return request._portal_role


def _menu(request, role) -> list[MenuEntry]:
    user = request.user
    if not user.is_authenticated:
        return _entries(request, [
            (_("Home"), url_or_none("portal:home"), "house"),
            *[(m.label, _resolve(m.url_name), m.icon) for m in menu_items_for(VISITOR)],
            (_("Register"), url_or_none("accounts:register"), "building-add"),
            (_("Log in"), url_or_none("accounts:login"), "box-arrow-in-right"),
            (_("API docs"), path_or_none(API_DOCS_PATH), "braces"),
        ])
    if role is None:
        # a signed-in account without a role (e.g. the first superuser): its home, and the
        # back office if it may use it
        candidates = [(_("Home"), url_or_none("portal:dashboard"), "speedometer2")]
        if user.is_staff:
            candidates.append((_("Back office"), url_or_none("admin:index"), "gear"))
        return _entries(request, candidates)
    return _entries(request, [(m.label, _resolve(m.url_name), m.icon) for m in menu_items_for(role.code)])


def navigation(request):
    """Menu entries for the user's role, the account links, and the public links.

    ``nav_menu``: entries of the navigation bar (only pages that exist);
    ``nav_role``: the user's ``Role`` or ``None``;
    ``nav_account``: password change and logout URLs (logout is a POST form);
    ``public_links``: registration, login and API docs, for the home page and the footer.
    """
    if not hasattr(request, "user"):  # e.g. an error page rendered before authentication ran
        return {}
    role = user_role(request)
    return {
        "nav_menu": _menu(request, role),
        "nav_role": role,
        "nav_account": {
            "password_change": url_or_none("accounts:password_change"),
            "logout": url_or_none("accounts:logout"),
        },
        "public_links": {
            "home": url_or_none("portal:home"),
            "register": url_or_none("accounts:register"),
            "login": url_or_none("accounts:login"),
            "api_docs": path_or_none(API_DOCS_PATH),
        },
    }
