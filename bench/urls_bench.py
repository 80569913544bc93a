"""URLs of the benchmark server: the platform's own, plus two bench-only POST endpoints.

Production has no partner POST endpoint yet, so the benchmark brings one with the shape every
declaration POST will have: signed and scoped (``order:write``), throttled, ``Idempotency-Key``,
an input serializer, one transaction that writes one row (an audit event), 201 with the new id.
A real document POST writes at least that (the document and its audit event), so this endpoint
measures the floor of a single-document POST, not its full cost.

The second, ``plain_declarations.PlainDeclarationBulkView``, is the plain DRF reference of
``bench_declarations.py``: the hub's documents stored through ``ModelSerializer(many=True)`` and
``bulk_create``, without the hub.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.urls import path
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from bench.plain_declarations import PLAIN_BULK_PATH, PlainDeclarationBulkView
from zone_portal.api.idempotency import IdempotentAPIView
from zone_portal.api.permissions import HasScope
from zone_portal.api.scoping import caller_organization_id
from zone_portal.audit.models import AuditEvent
from zone_portal.audit.services import audit_record
from zone_portal.urls import handler500  # noqa: F401  Django reads it from the ROOT_URLCONF module
from zone_portal.urls import urlpatterns as platform_urlpatterns

BENCH_ACTION = "bench.event.create"
BENCH_EVENTS_PATH = "/api/v1/bench/events/"


class BenchEventInputSerializer(serializers.Serializer):
    order_no = serializers.CharField(max_length=40)
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0"))
    run = serializers.CharField(max_length=40)


@transaction.atomic
def bench_event_record(*, actor, order_no: str, amount: Decimal, run: str) -> AuditEvent:
    """Record one benchmark document as an audit event of the caller's organization."""
    return audit_record(
        actor=actor, action=BENCH_ACTION, organization_id=caller_organization_id(actor),
        extra={"order_no": order_no, "amount": str(amount), "run": run},
    )


class BenchEventCreateView(IdempotentAPIView):
    """POST one small document (partner clients with ``order:write`` only)."""

    permission_classes = [IsAuthenticated, HasScope]
    required_scopes = {"POST": ["order:write"]}

    def post(self, request):
        serializer = BenchEventInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        event = bench_event_record(actor=request.user, **serializer.validated_data)
        return Response({"id": event.pk, "order_no": serializer.validated_data["order_no"]}, status=201)


urlpatterns = [
    path(BENCH_EVENTS_PATH.lstrip("/"), BenchEventCreateView.as_view(), name="bench-event-create"),
    path(PLAIN_BULK_PATH.lstrip("/"), PlainDeclarationBulkView.as_view(), name="bench-declarations-plain"),
    *platform_urlpatterns,
]
