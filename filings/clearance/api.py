"""The clearance API: ``GET /api/v1/filings/lists/<id>/tax/`` — the tax bill of an inventory list
(the content of CEB816: TaxHeadRd + TaxListRd), for the parties that may see the list and for
customs. Thin: the selector scopes and 404s; the bill is rendered as the spec names its fields."""

from __future__ import annotations

import orjson
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from zone_portal.api.permissions import HasScope
from zone_portal.api.serializers import ErrorSerializer

from . import selectors


class ListTaxView(APIView):
    """The tax bill of one inventory list. Scope ``inventory_list:read``; signed-in users see the lists
    their enterprise declared or is named in, customs officers every list."""

    permission_classes = [IsAuthenticated, HasScope]
    required_scopes = {"GET": ["inventory_list:read"]}
    required_perms = {"GET": []}

    @extend_schema(operation_id="inventory_list_tax", tags=["declarations"], summary="Tax bill (CEB816) of a list",
                   responses={200: OpenApiTypes.OBJECT, 404: ErrorSerializer})
    def get(self, request, pk: int):
        declaration = selectors.list_get(request.user, pk)
        bill = selectors.tax_bill_get(request.user, pk)
        body = selectors.tax_bill_content(bill) | {
            "list": {"id": declaration.pk, "kind": declaration.kind, "orderNo": declaration.order_no,
                     "invtNo": declaration.invt_no, "state": declaration.list_state,
                     "returnStatus": declaration.return_status}}
        return HttpResponse(orjson.dumps(body), content_type="application/json")
