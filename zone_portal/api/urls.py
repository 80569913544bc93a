"""/api/: the versioned partner API, its schema and documentation, and a JSON 404 for the rest.

Add an app's v1 routes to ``v1_urlpatterns`` (e.g.
``path("codes/", include("zone_portal.codes.api_urls"))``); the catch-all must stay last.
"""

from csp.decorators import csp_update
from django.urls import include, path, re_path

from . import views

app_name = "api"

v1_urlpatterns = [
    path("me/", views.MeView.as_view(), name="me"),
    path("codes/", include("zone_portal.codes.api_urls")),
    path("filings/", include("filings.api.urls")),
    path("", include("zone_portal.events.api.urls")),  # events/ and webhooks/
    path("ceb/", include("filings.api.ceb_urls")),
]

# Redoc styles its page from script (styled-components) and builds its search worker from a
# blob: URL; both are allowed on this one page only.
_redoc_csp = csp_update({"style-src": ["'unsafe-inline'"], "worker-src": ["blob:"]})

urlpatterns = [
    path("v1/", include(v1_urlpatterns)),
    path("schema/", views.SchemaView.as_view(), name="schema"),
    path("docs/", views.SwaggerView.as_view(), name="docs"),
    path("redoc/", _redoc_csp(views.RedocView.as_view()), name="redoc"),
    re_path(r"^", views.api_not_found, name="not-found"),  # keep last
]
