"""Views of the shared kernel: the health endpoint."""

from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from . import health


@never_cache
@require_safe
def healthz(request):
    """``GET /healthz``: JSON for the database, Redis and a live Celery worker.

    200 only when all three are up, 503 otherwise; no login, never cached, no host names.
    """
    report = health.run_checks()
    return JsonResponse(report, status=200 if report["status"] == "ok" else 503)
