"""Links to pages that may not be routed yet.

The portal is built before the modules it points to. A menu entry or a button is shown only when
its page exists, so no release carries a dead link: when a later issue routes the URL name, the
link appears without a template change.
"""

from __future__ import annotations

from django.urls import NoReverseMatch, Resolver404, get_script_prefix, resolve, reverse


def url_or_none(name: str, *args, **kwargs) -> str | None:
    """``reverse(name)``, or ``None`` when nothing is routed under that name yet."""
    try:
        return reverse(name, args=args or None, kwargs=kwargs or None)
    except NoReverseMatch:
        return None


def path_or_none(path: str) -> str | None:
    """The path (with the script prefix) if a view answers it, ``None`` otherwise.

    Used for pages known by their address rather than a URL name, such as the API docs at
    ``/api/docs/``.
    """
    try:
        resolve(path)
    except Resolver404:
        return None
    return get_script_prefix().rstrip("/") + path
