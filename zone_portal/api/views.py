"""The API layer's own endpoints: who am I, the schema and its two readers, JSON 404 and 500."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from zone_portal.accounts.models import ApiClient

from .exceptions import json_error
from .permissions import HasScope
from .serializers import ErrorSerializer, MeOutputSerializer

API_PREFIX = "/api/"


def _organization_data(organization) -> dict | None:
    if organization is None:
        return None
    return {"id": organization.pk, "kind": organization.kind, "name": organization.name,
            "name_en": organization.name_en, "uscc": organization.uscc}


class MeView(APIView):
    """Who is calling: the partner client and its organization, or the signed-in user.

    Useful to a partner as the first signed call: a 200 proves the signature is right.
    """

    permission_classes = [IsAuthenticated, HasScope]
    required_scopes = {"GET": []}  # any client may ask who it is
    required_perms = {"GET": []}  # any signed-in user too

    @extend_schema(
        operation_id="me",
        tags=["caller"],
        summary="Who is calling",
        responses={200: MeOutputSerializer, 401: ErrorSerializer, 429: ErrorSerializer},
    )
    def get(self, request):
        caller = request.user
        if isinstance(caller, ApiClient):
            data = {
                "caller_type": "api_client",
                "organization": _organization_data(caller.organization),
                "client": {"name": caller.name, "key_id": caller.key_id, "scopes": sorted(caller.scopes)},
                "user": None,
            }
        else:
            data = {
                "caller_type": "user",
                "organization": _organization_data(caller.organization),
                "client": None,
                "user": {"username": caller.get_username(), "roles": sorted(caller.role_codes()),
                         "is_officer": caller.is_officer},
            }
        return Response(MeOutputSerializer(data).data)


class _PublicDocsMixin:
    """The schema and its readers are public: no authentication (a stale session or half-signed
    request must not turn the documentation into a 401), throttled per address."""

    authentication_classes: list = []
    permission_classes = [AllowAny]


class SchemaView(_PublicDocsMixin, SpectacularAPIView):
    pass


class SwaggerView(_PublicDocsMixin, SpectacularSwaggerSplitView):
    """Swagger UI from the sidecar's static files; its start script is a separate same-origin
    request (``?script``) because the CSP forbids inline scripts."""

    url_name = "api:schema"
    template_name = "api/swagger_ui.html"


class RedocView(_PublicDocsMixin, SpectacularRedocView):
    """Redoc from the sidecar's static files, without the web fonts the stock page loads."""

    url_name = "api:schema"
    template_name = "api/redoc.html"


@csrf_exempt
def api_not_found(request: HttpRequest, *args, **kwargs) -> JsonResponse:
    """Any path under /api/ that no route matches: a JSON 404, never the portal's HTML page."""
    return json_error("not_found", _("Not found."), status_code=404)


def server_error(request: HttpRequest, *args, **kwargs):
    """``handler500``: JSON under /api/, Django's page everywhere else."""
    if request.path.startswith(API_PREFIX):
        return json_error("server_error", _("A server error occurred."), status_code=500)
    return defaults.server_error(request, *args, **kwargs)
