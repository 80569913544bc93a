"""Test URLs: the code-table API mounted where the lead wires it (/api/v1/codes/), then the project.

Tests use them with ``@pytest.mark.urls("tests.codes.urls")`` so they do not depend on the
project's /api/ router being wired yet.
"""

from django.urls import include, path

from zone_portal.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    path("api/v1/codes/", include("zone_portal.codes.api_urls")),
    *project_urlpatterns,
]
