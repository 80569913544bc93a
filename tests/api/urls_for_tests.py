"""Test-only URLs: the real /api/ plus two endpoints that exist only for these tests.

Production has no write endpoint in the API layer itself (no fake endpoints), yet signing,
scopes, errors and idempotency must be exercised on a real write. ``RecordCreateView`` writes an
audit event — a real row the tests can count — and ``ClientListView`` reads through the scoping
helper. Tests use them with ``@pytest.mark.urls("tests.api.urls_for_tests")``.
"""

from __future__ import annotations

import threading
from decimal import Decimal

from django.db import transaction
from django.urls import include, path
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from zone_portal.accounts.models import ApiClient
from zone_portal.api.idempotency import IdempotentAPIView
from zone_portal.api.permissions import HasScope
from zone_portal.api.scoping import caller_organization_id, scope_to_caller_organization
from zone_portal.audit.services import audit_record
from zone_portal.core.errors import Conflict

RECORD_ACTION = "tests.record.create"


class SlowGate:
    """Lets a test hold a request inside the view (order_no "SLOW") to send a concurrent one."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()

    def reset(self) -> None:
        self.entered.clear()
        self.release.clear()


slow_gate = SlowGate()


class LineInputSerializer(serializers.Serializer):
    gnum = serializers.IntegerField(min_value=1)
    qty = serializers.DecimalField(max_digits=12, decimal_places=3, min_value=Decimal("0.001"))


class RecordInputSerializer(serializers.Serializer):
    order_no = serializers.CharField(max_length=20)
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0"))
    lines = LineInputSerializer(many=True, required=False)


class RecordCreateView(IdempotentAPIView):
    """POST a record: scope order:write for clients, accounts.manage_api_clients for users."""

    permission_classes = [IsAuthenticated, HasScope]
    required_scopes = {"POST": ["order:write"]}
    required_perms = {"POST": ["accounts.manage_api_clients"]}

    @extend_schema(request=RecordInputSerializer, responses={201: inline_serializer(
        "RecordCreated", {"id": serializers.IntegerField(), "order_no": serializers.CharField()})})
    def post(self, request):
        serializer = RecordInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        order_no = serializer.validated_data["order_no"]
        if order_no == "BOOM":
            raise RuntimeError("a fault on the platform's side")
        if order_no == "DUPLICATE":
            raise Conflict("This order number was already declared.", code="order_duplicate",
                           field="order_no", extra={"existing_id": 42})
        if order_no == "SLOW":
            slow_gate.entered.set()
            slow_gate.release.wait(timeout=10)
        with transaction.atomic():
            event = audit_record(
                actor=request.user, action=RECORD_ACTION,
                organization_id=caller_organization_id(request.user),
                extra={"order_no": order_no, "amount": str(serializer.validated_data["amount"])},
            )
        return Response({"id": event.pk, "order_no": order_no}, status=201,
                        headers={"Location": f"/api/v1/test/records/{event.pk}/"})


class ClientListView(APIView):
    """GET the names of the caller's organization's API clients (through the scoping helper)."""

    permission_classes = [IsAuthenticated, HasScope]
    required_scopes = {"GET": []}
    required_perms = {"GET": []}

    @extend_schema(responses={200: inline_serializer(
        "ClientNames", {"names": serializers.ListField(child=serializers.CharField())})})
    def get(self, request):
        clients = scope_to_caller_organization(ApiClient.objects.order_by("name"), request.user)
        return Response({"names": [c.name for c in clients]})


urlpatterns = [
    path("api/v1/test/records/", RecordCreateView.as_view()),
    path("api/v1/test/clients/", ClientListView.as_view()),
    path("api/", include("zone_portal.api.urls")),
]
