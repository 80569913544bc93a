"""URL map: public portal, accounts, per-app enterprise pages, back office, API, health."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from zone_portal.core.views import healthz

handler500 = "zone_portal.api.views.server_error"

admin.site.site_header = settings.ADMIN_SITE_HEADER
admin.site.site_title = settings.ADMIN_SITE_HEADER

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("admin/", admin.site.urls),
    path("accounts/", include("zone_portal.accounts.urls")),
    path("api/", include("zone_portal.api.urls")),
    path("events/", include("zone_portal.events.urls")),
    path("filings/", include("filings.urls")),
    path("logistics/", include("logistics.urls")),
    path("finance/", include("finance.urls")),
    path("credit/", include("credit.urls")),
    path("risk/", include("risk.urls")),
    path("stats/", include("stats.urls")),
    path("", include("zone_portal.portal.urls")),
]
