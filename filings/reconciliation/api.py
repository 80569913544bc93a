"""The reconciliation (三单比对) API: the caller's results, by pull.

- ``GET /api/v1/filings/reconciliation/?order_no=&status=&direction=&ebp_code=&code=&date_from=&date_to=``
  the results of the trades the caller's enterprise declared or is named in, newest change first
  (cursor pages)
- ``GET /api/v1/filings/reconciliation/<id>/``            one result with its history
- ``GET /api/v1/filings/reconciliation/orders/<orderNo>/`` the results of one order number

Thin: the selectors scope and shape. A partner client needs one of the read scopes of the trade
documents (``order:read``, ``payment:read``, ``receipt:read``, ``waybill:read``,
``inventory_list:read``); users need ``reconciliation.view_reconciliationresult`` (customs) or
are enterprise users (their own results). Another enterprise's result answers 404.
"""

from __future__ import annotations

import orjson
from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from zone_portal.accounts.models import ApiClient
from zone_portal.api.errors import ApiError, ScopeMissing
from zone_portal.api.permissions import HasScope
from zone_portal.api.scoping import caller_organization_id
from zone_portal.core.errors import NotFound

from . import selectors

READ_SCOPES = ("order:read", "payment:read", "receipt:read", "waybill:read", "inventory_list:read")


class ResultNotFound(ApiError):
    status_code = 404
    default_code = "not_found"


def _json(body, status: int = 200) -> HttpResponse:
    return HttpResponse(orjson.dumps(body), status=status, content_type="application/json")


def _check_caller(request) -> None:
    """Clients: one of the trade documents' read scopes. Users: customs, or an enterprise user."""
    actor = request.user
    if isinstance(actor, ApiClient):
        if not set(READ_SCOPES) & set(actor.scopes):
            raise ScopeMissing(["|".join(READ_SCOPES)])
    elif caller_organization_id(actor) is None and not selectors.sees_all(actor):
        raise ScopeMissing([])


class ResultCursor(CursorPagination):
    ordering = ("-changed_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class _Base(APIView):
    permission_classes = [IsAuthenticated, HasScope]
    required_scopes = {"GET": []}  # one of READ_SCOPES, checked in _check_caller
    required_perms = {"GET": []}


class ReconciliationListView(_Base):
    @extend_schema(operation_id="reconciliation_list", tags=["reconciliation"],
                   summary="Reconciliation results (三单比对) of the caller's trades",
                   parameters=[OpenApiParameter(name, str) for name in selectors.FILTERS],
                   responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        _check_caller(request)
        qs = selectors.result_search(request.user, request.query_params)
        paginator = ResultCursor()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response([selectors.result_as_dict(r) for r in page])


class ReconciliationDetailView(_Base):
    @extend_schema(operation_id="reconciliation_detail", tags=["reconciliation"],
                   summary="One reconciliation result with its history", responses={200: OpenApiTypes.OBJECT})
    def get(self, request, pk: int):
        _check_caller(request)
        try:
            result = selectors.result_get(request.user, pk)
        except NotFound as exc:
            raise ResultNotFound(str(exc.message)) from exc
        return _json(selectors.result_as_dict(result, detail=True))


class ReconciliationOrderView(_Base):
    @extend_schema(operation_id="reconciliation_order", tags=["reconciliation"],
                   summary="The reconciliation results of one order number", responses={200: OpenApiTypes.OBJECT})
    def get(self, request, order_no: str):
        _check_caller(request)
        results = selectors.results_for_order(request.user, order_no)
        if not results:
            raise ResultNotFound(_("Reconciliation result not found."))
        return _json({"orderNo": order_no, "results": [selectors.result_as_dict(r, detail=True) for r in results]})
