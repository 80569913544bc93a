"""Every view under /api/ that takes POST honours Idempotency-Key (IdempotencyMixin)."""

from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.views import APIView

from zone_portal.api.idempotency import IdempotencyMixin


def api_views(patterns=None, prefix=""):
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from api_views(entry.url_patterns, route)
        elif isinstance(entry, URLPattern) and route.startswith("api/"):
            view_class = getattr(entry.callback, "cls", None)
            if view_class is not None and issubclass(view_class, APIView):
                yield route, view_class, getattr(entry.callback, "actions", None)


def takes_post(view_class, actions) -> bool:
    if actions is not None:  # a ViewSet: the router says which methods are bound
        return "post" in actions
    return hasattr(view_class, "post")


def test_the_walk_finds_the_api_views():
    routes = {route for route, _cls, _actions in api_views()}
    assert "api/v1/me/" in routes
    assert "api/schema/" in routes


def test_every_post_view_under_api_is_idempotent():
    offenders = [
        f"{route} ({view_class.__module__}.{view_class.__name__})"
        for route, view_class, actions in api_views()
        if takes_post(view_class, actions) and not issubclass(view_class, IdempotencyMixin)
    ]
    assert offenders == [], "POST without IdempotencyMixin: " + ", ".join(offenders)
