"""Views of the events and webhooks API. Thin: parse, call one selector or service, answer.

Callers: an enterprise's API clients (scopes ``events:read`` / ``events:write``) and its signed-in
users (the endpoints: ``events.view_webhookendpoint`` to read, ``events.manage_webhooks`` to
change). Everything is the caller's own organization's; another organization's endpoint or
delivery answers 404. Officers have no events of their own here (403).

- ``GET    events/``                              the pull feed (``after``, ``limit``, ``types``)
- ``GET    events/types/``                        the registry of event types
- ``GET    webhooks/endpoints/``                  list endpoints
- ``POST   webhooks/endpoints/``                  register one; the answer carries the secret, once
- ``GET    webhooks/endpoints/<id>/``             one endpoint
- ``PATCH  webhooks/endpoints/<id>/``             change url, event_types, description
- ``DELETE webhooks/endpoints/<id>/``             remove it with its delivery log
- ``POST   webhooks/endpoints/<id>/rotate-secret/`` a new secret (in the answer, once)
- ``POST   webhooks/endpoints/<id>/disable/``     stop deliveries
- ``POST   webhooks/endpoints/<id>/enable/``      re-enable; waiting deliveries are sent
- ``GET    webhooks/endpoints/<id>/deliveries/``  the delivery log (``status``), newest first
- ``POST   webhooks/deliveries/<id>/resend/``     send a delivery again
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from zone_portal.accounts.models import Organization
from zone_portal.api.idempotency import IdempotentAPIView
from zone_portal.api.permissions import HasScope
from zone_portal.api.scoping import caller_organization_id
from zone_portal.api.serializers import ErrorSerializer
from zone_portal.core.errors import PermissionDenied

from .. import selectors, services
from ..models import WebhookDelivery
from ..types import EVENT_TYPES
from .serializers import (
    EventOutputSerializer,
    EventTypeOutputSerializer,
    FeedOutputSerializer,
    FeedQuerySerializer,
    WebhookDeliveryOutputSerializer,
    WebhookEndpointDisableInputSerializer,
    WebhookEndpointInputSerializer,
    WebhookEndpointOutputSerializer,
    WebhookEndpointWithSecretOutputSerializer,
)

READ, WRITE = "events:read", "events:write"
VIEW_ENDPOINTS, VIEW_DELIVERIES, MANAGE = ("events.view_webhookendpoint", "events.view_webhookdelivery",
                                           "events.manage_webhooks")
TAGS = ["events"]


def _caller_organization_id(request) -> int:
    organization_id = caller_organization_id(request.user)
    if organization_id is None:
        raise PermissionDenied(_("Only an enterprise and its API clients have events and webhook endpoints."))
    return organization_id


# --- the feed ---------------------------------------------------------------------------------

class EventFeedView(APIView):
    """The caller's organization's events in a stable order, continued with a cursor.

    Poll with the ``next_cursor`` of the previous answer as ``after``. A page ends early rather
    than pass an event another transaction has not committed yet, so ``has_more: false`` means
    "nothing more for now", not "the end".
    """

    permission_classes = [IsAuthenticated, HasScope]
    required_scopes = {"GET": [READ]}
    required_perms = {"GET": []}  # any enterprise user, for the own enterprise

    @extend_schema(operation_id="events_feed", tags=TAGS, summary="The event feed",
                   parameters=[FeedQuerySerializer],
                   responses={200: FeedOutputSerializer, 400: ErrorSerializer, 403: ErrorSerializer})
    def get(self, request):
        organization_id = _caller_organization_id(request)
        query = FeedQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        page = selectors.event_feed(organization_id=organization_id, after=params.get("after"),
                                    limit=params["limit"], event_types=params.get("types") or None)
        results = [selectors.event_envelope(e) | {"cursor": str(selectors.event_cursor(e))} for e in page.events]
        return Response({"results": EventOutputSerializer(results, many=True).data,
                         "next_cursor": page.next_cursor, "has_more": page.has_more})


class EventTypeListView(APIView):
    """The event types a webhook endpoint may subscribe to."""

    permission_classes = [IsAuthenticated, HasScope]
    required_scopes = {"GET": []}
    required_perms = {"GET": []}

    @extend_schema(operation_id="events_types", tags=TAGS, summary="Event types",
                   responses={200: EventTypeOutputSerializer(many=True)})
    def get(self, request):
        data = [{"type": code, "description": str(label)} for code, label in EVENT_TYPES.items()]
        return Response(EventTypeOutputSerializer(data, many=True).data)


# --- webhook endpoints ------------------------------------------------------------------------

def _endpoint_data(endpoint, secret: str | None = None) -> dict:
    """The endpoint as answered; with ``secret`` only in the answer that created or rotated it."""
    data = dict(WebhookEndpointOutputSerializer(endpoint).data)
    if secret is not None:
        data["secret"] = secret
    return data


class WebhookEndpointListView(IdempotentAPIView):
    """The caller's organization's webhook endpoints; POST registers one.

    Each subscribed event is POSTed to the URL as JSON with the headers ``X-Webhook-Id`` (the
    event id), ``X-Webhook-Event``, ``X-Webhook-Timestamp`` (Unix seconds) and
    ``X-Webhook-Signature``: lower-case hex HMAC-SHA256 of ``f"{timestamp}.{body}"`` keyed with
    the endpoint's secret, which the answer to this POST shows once. Any 2xx answer is a success;
    anything else is retried with exponential backoff for 24 hours. See docs/webhooks.md.
    """

    permission_classes = [IsAuthenticated, HasScope]
    required_scopes = {"GET": [READ], "POST": [WRITE]}
    required_perms = {"GET": [VIEW_ENDPOINTS], "POST": [MANAGE]}

    @extend_schema(operation_id="webhooks_endpoints_list", tags=TAGS, summary="List webhook endpoints",
                   responses={200: WebhookEndpointOutputSerializer(many=True), 403: ErrorSerializer})
    def get(self, request):
        _caller_organization_id(request)
        endpoints = selectors.webhook_endpoint_list_for_user(user=request.user)
        return Response(WebhookEndpointOutputSerializer(endpoints, many=True).data)

    @extend_schema(operation_id="webhooks_endpoints_create", tags=TAGS, summary="Register a webhook endpoint",
                   request=WebhookEndpointInputSerializer,
                   responses={201: WebhookEndpointWithSecretOutputSerializer, 400: ErrorSerializer,
                              403: ErrorSerializer, 409: ErrorSerializer})
    def post(self, request):
        organization = Organization.objects.get(pk=_caller_organization_id(request))
        data = WebhookEndpointInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        endpoint, secret = services.webhook_endpoint_create(
            actor=request.user, organization=organization, url=data.validated_data["url"],
            event_types=data.validated_data["event_types"], description=data.validated_data["description"])
        return Response(_endpoint_data(endpoint, secret), status=status.HTTP_201_CREATED)


class WebhookEndpointDetailView(APIView):
    """One endpoint: read, change (PATCH) or remove (DELETE)."""

    permission_classes = [IsAuthenticated, HasScope]
    required_scopes = {"GET": [READ], "PATCH": [WRITE], "DELETE": [WRITE]}
    required_perms = {"GET": [VIEW_ENDPOINTS], "PATCH": [MANAGE], "DELETE": [MANAGE]}

    @extend_schema(operation_id="webhooks_endpoints_get", tags=TAGS, summary="One webhook endpoint",
                   responses={200: WebhookEndpointOutputSerializer, 404: ErrorSerializer})
    def get(self, request, pk: int):
        return Response(_endpoint_data(selectors.webhook_endpoint_get_for_user(user=request.user, pk=pk)))

    @extend_schema(operation_id="webhooks_endpoints_update", tags=TAGS, summary="Change a webhook endpoint",
                   request=WebhookEndpointInputSerializer(partial=True),
                   responses={200: WebhookEndpointOutputSerializer, 400: ErrorSerializer, 404: ErrorSerializer})
    def patch(self, request, pk: int):
        endpoint = selectors.webhook_endpoint_get_for_user(user=request.user, pk=pk)
        data = WebhookEndpointInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        given = {key: data.validated_data[key] for key in ("url", "event_types", "description")
                 if key in request.data}
        endpoint = services.webhook_endpoint_update(actor=request.user, endpoint=endpoint, **given)
        return Response(_endpoint_data(endpoint))

    @extend_schema(operation_id="webhooks_endpoints_delete", tags=TAGS, summary="Remove a webhook endpoint",
                   responses={204: None, 404: ErrorSerializer})
    def delete(self, request, pk: int):
        endpoint = selectors.webhook_endpoint_get_for_user(user=request.user, pk=pk)
        services.webhook_endpoint_delete(actor=request.user, endpoint=endpoint)
        return Response(status=status.HTTP_204_NO_CONTENT)


class _EndpointAction(IdempotentAPIView):
    permission_classes = [IsAuthenticated, HasScope]
    required_scopes = {"POST": [WRITE]}
    required_perms = {"POST": [MANAGE]}


class WebhookEndpointRotateSecretView(_EndpointAction):
    """Replace the endpoint's secret at once; the answer carries the new one, this once."""

    @extend_schema(operation_id="webhooks_endpoints_rotate_secret", tags=TAGS, summary="Rotate the secret",
                   request=None, responses={200: WebhookEndpointWithSecretOutputSerializer, 404: ErrorSerializer})
    def post(self, request, pk: int):
        endpoint = selectors.webhook_endpoint_get_for_user(user=request.user, pk=pk)
        secret = services.webhook_endpoint_rotate_secret(actor=request.user, endpoint=endpoint)
        endpoint.refresh_from_db()
        return Response(_endpoint_data(endpoint, secret))


class WebhookEndpointDisableView(_EndpointAction):
    """Stop deliveries to the endpoint (repeating it changes nothing)."""

    @extend_schema(operation_id="webhooks_endpoints_disable", tags=TAGS, summary="Disable an endpoint",
                   request=WebhookEndpointDisableInputSerializer,
                   responses={200: WebhookEndpointOutputSerializer, 404: ErrorSerializer})
    def post(self, request, pk: int):
        endpoint = selectors.webhook_endpoint_get_for_user(user=request.user, pk=pk)
        data = WebhookEndpointDisableInputSerializer(data=request.data or {})
        data.is_valid(raise_exception=True)
        endpoint = services.webhook_endpoint_disable(actor=request.user, endpoint=endpoint,
                                                     reason=data.validated_data["reason"])
        return Response(_endpoint_data(endpoint))


class WebhookEndpointEnableView(_EndpointAction):
    """Re-enable the endpoint; deliveries still within their retry window are sent."""

    @extend_schema(operation_id="webhooks_endpoints_enable", tags=TAGS, summary="Re-enable an endpoint",
                   request=None, responses={200: WebhookEndpointOutputSerializer, 404: ErrorSerializer})
    def post(self, request, pk: int):
        endpoint = selectors.webhook_endpoint_get_for_user(user=request.user, pk=pk)
        endpoint = services.webhook_endpoint_enable(actor=request.user, endpoint=endpoint)
        return Response(_endpoint_data(endpoint))


# --- deliveries -----------------------------------------------------------------------------------

class DeliveryCursorPagination(CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    ordering = ("-event_id",)


class WebhookDeliveryListView(APIView):
    """The delivery log of one endpoint, newest event first."""

    permission_classes = [IsAuthenticated, HasScope]
    required_scopes = {"GET": [READ]}
    required_perms = {"GET": [VIEW_DELIVERIES]}

    @extend_schema(operation_id="webhooks_deliveries_list", tags=TAGS, summary="Delivery log of an endpoint",
                   parameters=[OpenApiParameter("status", str, enum=WebhookDelivery.Status.values)],
                   responses={200: WebhookDeliveryOutputSerializer(many=True), 404: ErrorSerializer})
    def get(self, request, pk: int):
        endpoint = selectors.webhook_endpoint_get_for_user(user=request.user, pk=pk)
        deliveries = selectors.webhook_delivery_list(endpoint=endpoint, status=request.query_params.get("status"))
        paginator = DeliveryCursorPagination()
        page = paginator.paginate_queryset(deliveries, request, view=self)
        return paginator.get_paginated_response(WebhookDeliveryOutputSerializer(page, many=True).data)


class WebhookDeliveryResendView(IdempotentAPIView):
    """Send a failed (or delivered but lost) delivery again, with a new retry window."""

    permission_classes = [IsAuthenticated, HasScope]
    required_scopes = {"POST": [WRITE]}
    required_perms = {"POST": [MANAGE]}

    @extend_schema(operation_id="webhooks_deliveries_resend", tags=TAGS, summary="Re-send a delivery",
                   request=None, responses={200: WebhookDeliveryOutputSerializer, 404: ErrorSerializer,
                                            409: ErrorSerializer})
    def post(self, request, pk: int):
        delivery = selectors.webhook_delivery_get_for_user(user=request.user, pk=pk)
        delivery = services.webhook_delivery_resend(actor=request.user, delivery=delivery)
        return Response(WebhookDeliveryOutputSerializer(delivery).data)
