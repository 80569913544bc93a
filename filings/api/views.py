"""Views of the filings API: enterprise filing status by USCC, and an enterprise's own goods.

Thin: parse input, call one selector or service of ``filings``, translate domain errors into
the API's ``{"code", "message", "field"}`` answers. Every POST honours ``Idempotency-Key``.

Goods routes (caller: the enterprise's API client, or one of its users with a session):

- ``GET  goods/``                 list (cursor pagination; ``status``, ``q``, ``hs_code``) — goods:read
- ``POST goods/``                 create one draft item (201) — goods:write
- ``GET  goods/<item_no>/``       one item by SKU — goods:read
- ``PUT  goods/<item_no>/``       replace the data of the item's draft (all fields, as on create);
                                  PUT because it is a full replacement and naturally idempotent — goods:write
- ``POST goods/<item_no>/submit/`` send the draft to customs — goods:write
- ``POST goods/bulk/``            create up to 1,000 items, per-item results in request order — goods:write
"""

from __future__ import annotations

from django.db import IntegrityError
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from filings import goods as goods_services
from filings.goods_selectors import goods_list_for_user
from filings.models import EnterpriseFiling, GoodsItem
from filings.selectors import enterprise_filing_status_by_uscc
from zone_portal.accounts.models import ApiClient, Organization
from zone_portal.api.errors import ApiError
from zone_portal.api.exceptions import flatten_errors
from zone_portal.api.idempotency import IdempotentAPIView
from zone_portal.api.permissions import HasScope
from zone_portal.api.scoping import caller_organization_id
from zone_portal.api.serializers import ErrorSerializer
from zone_portal.core.errors import Conflict, NotFound
from zone_portal.core.errors import PermissionDenied as DomainPermissionDenied

from .serializers import (
    EnterpriseFilingStatusOutputSerializer,
    GoodsBulkResultSerializer,
    GoodsInputSerializer,
    GoodsItemOutputSerializer,
)

BULK_MAX_ITEMS = 1000
VIEW_FILING_PERMISSION = "filings.view_enterprisefiling"


class TooManyItems(ApiError):
    default_code = "too_many_items"


# --- enterprise filing status ---------------------------------------------------------------


class EnterpriseFilingStatusView(APIView):
    """Whether the enterprise with this USCC is filed, in which roles, since when, its filing
    number and status — for partners (scope ``enterprise_filing:read``), department officers with
    ``filings.view_enterprisefiling`` and the enterprise's own users. Nothing personal."""

    permission_classes = [IsAuthenticated, HasScope]
    required_scopes = {"GET": ["enterprise_filing:read"]}
    required_perms = {"GET": []}  # narrowed in get(): officers with the permission, or the enterprise itself

    @extend_schema(operation_id="filings_enterprise_status", tags=["filings"],
                   summary="Filing status of an enterprise by USCC",
                   responses={200: EnterpriseFilingStatusOutputSerializer, 401: ErrorSerializer,
                              403: ErrorSerializer, 404: ErrorSerializer})
    def get(self, request, uscc: str):
        uscc = uscc.strip().upper()
        caller = request.user
        if not isinstance(caller, ApiClient) and not caller.has_perm(VIEW_FILING_PERMISSION):
            own = caller.organization if getattr(caller, "is_enterprise_user", False) else None
            if own is None or (own.uscc or "").upper() != uscc:
                raise DomainPermissionDenied(_("You may only check the filing of your own enterprise."))
        data = enterprise_filing_status_by_uscc(uscc)
        # A draft was never sent to anyone: to the outside it is the same as no filing at all.
        if data["status"] in (None, EnterpriseFiling.Status.DRAFT):
            raise NotFound(_("No enterprise filing was found for this unified social credit code."), field="uscc")
        return Response(EnterpriseFilingStatusOutputSerializer(data).data)


# --- goods ----------------------------------------------------------------------------------


class GoodsCursorPagination(CursorPagination):
    """Cursor pagination on SKU (unique within an enterprise)."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    ordering = ("item_no", "id")


def _caller_organization(request) -> Organization:
    """The enterprise the caller acts for; officers and others have no goods of their own."""
    organization_id = caller_organization_id(request.user)
    if organization_id is None:
        raise DomainPermissionDenied(_("Only an enterprise and its API clients can use the goods API."))
    return Organization.objects.get(pk=organization_id)


def _own_goods(request, *, filters: dict | None = None):
    """The caller's own goods. The selector alone would show a customs officer every item; this
    API is the enterprise's, so the caller's organization narrows it in every case."""
    organization_id = caller_organization_id(request.user)
    if organization_id is None:
        raise DomainPermissionDenied(_("Only an enterprise and its API clients can use the goods API."))
    return goods_list_for_user(user=request.user, filters=filters).filter(organization_id=organization_id)


def _own_item(request, item_no: str) -> GoodsItem:
    item = _own_goods(request).prefetch_related("versions").filter(item_no=item_no).first()
    if item is None:
        raise Http404
    return item


def _validation_error(errors: list[dict]) -> ValidationError:
    """Goods rule errors as the API's ``validation_error`` with one entry per problem."""
    detail: dict[str, list[ErrorDetail]] = {}
    for e in errors:
        detail.setdefault(e["field"] or "non_field_errors", []).append(ErrorDetail(str(e["message"]), code=e["code"]))
    return ValidationError(detail)


def _raise_goods_errors(exc: goods_services.GoodsValidationError) -> None:
    """An existing SKU is a conflict with a stored item (409 ``sku_duplicate``); any other rule
    is a 400 ``validation_error`` listing every problem."""
    errors = exc.extra.get("errors") or [{"field": exc.field, "code": exc.code, "message": exc.message}]
    duplicate = next((e for e in errors if e["code"] == "sku_duplicate"), None)
    if duplicate is not None:
        raise Conflict(duplicate["message"], code="sku_duplicate", field="item_no") from exc
    raise _validation_error(errors) from exc


def _parse(data) -> GoodsInputSerializer:
    if not isinstance(data, dict):
        raise ValidationError({"non_field_errors": [ErrorDetail(_("Send one goods item as a JSON object."),
                                                                code="not_an_object")]})
    serializer = GoodsInputSerializer(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer


def _item_answer(item: GoodsItem, *, status_code: int = status.HTTP_200_OK) -> Response:
    item = GoodsItem.objects.prefetch_related("versions").get(pk=item.pk)
    return Response(GoodsItemOutputSerializer(item).data, status=status_code)


_GOODS_LIST_PARAMETERS = [
    OpenApiParameter("status", str, description="draft, under_review, filed or rejected"),
    OpenApiParameter("q", str, description="Part of the SKU, record number or name"),
    OpenApiParameter("hs_code", str, description="HS code or its first digits"),
]


class GoodsView(IdempotentAPIView):
    """The caller's own goods: list them, or create one as a draft."""

    permission_classes = [IsAuthenticated, HasScope]
    required_scopes = {"GET": ["goods:read"], "POST": ["goods:write"]}
    required_perms = {"GET": [], "POST": []}  # enterprise users, for their own enterprise (see _own_goods)

    @extend_schema(operation_id="filings_goods_list", tags=["filings"], summary="List own goods",
                   parameters=_GOODS_LIST_PARAMETERS,
                   responses={200: GoodsItemOutputSerializer(many=True), 403: ErrorSerializer})
    def get(self, request):
        filters = {key: request.query_params.get(key) for key in ("status", "q")}
        hs_code = (request.query_params.get("hs_code") or "").strip()
        if hs_code:
            if not hs_code.isdigit() or len(hs_code) > 10:
                raise ValidationError({"hs_code": [ErrorDetail(_("Give up to 10 digits of an HS code."),
                                                               code="invalid")]})
            filters["hs_code"] = hs_code
        queryset = _own_goods(request, filters=filters).prefetch_related("versions")
        paginator = GoodsCursorPagination()
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(GoodsItemOutputSerializer(page, many=True).data)

    @extend_schema(operation_id="filings_goods_create", tags=["filings"], summary="Create one goods item",
                   request=GoodsInputSerializer,
                   responses={201: GoodsItemOutputSerializer, 400: ErrorSerializer, 409: ErrorSerializer})
    def post(self, request):
        organization = _caller_organization(request)
        data = _parse(request.data).to_goods_data()
        try:
            item = goods_services.goods_create(actor=request.user, organization=organization, data=data)
        except goods_services.GoodsValidationError as exc:
            _raise_goods_errors(exc)
        except IntegrityError as exc:  # the same SKU created by a concurrent request
            raise Conflict(_("Your enterprise has already registered this SKU."), code="sku_duplicate",
                           field="item_no") from exc
        return _item_answer(item, status_code=status.HTTP_201_CREATED)


class GoodsDetailView(IdempotentAPIView):
    """One of the caller's goods by SKU; PUT replaces the data of its draft."""

    permission_classes = [IsAuthenticated, HasScope]
    required_scopes = {"GET": ["goods:read"], "PUT": ["goods:write"]}
    required_perms = {"GET": [], "PUT": []}

    @extend_schema(operation_id="filings_goods_get", tags=["filings"], summary="One own goods item by SKU",
                   responses={200: GoodsItemOutputSerializer, 404: ErrorSerializer})
    def get(self, request, item_no: str):
        return Response(GoodsItemOutputSerializer(_own_item(request, item_no)).data)

    @extend_schema(operation_id="filings_goods_update_draft", tags=["filings"],
                   summary="Replace the data of the item's draft", request=GoodsInputSerializer,
                   responses={200: GoodsItemOutputSerializer, 400: ErrorSerializer, 404: ErrorSerializer,
                              409: ErrorSerializer})
    def put(self, request, item_no: str):
        item = _own_item(request, item_no)
        data = _parse(request.data).to_goods_data()
        try:
            goods_services.goods_update_draft(actor=request.user, item=item, data=data)
        except goods_services.GoodsValidationError as exc:
            _raise_goods_errors(exc)
        return _item_answer(item)


class GoodsSubmitView(IdempotentAPIView):
    """Send the item's draft to customs for review."""

    permission_classes = [IsAuthenticated, HasScope]
    required_scopes = {"POST": ["goods:write"]}
    required_perms = {"POST": []}

    @extend_schema(operation_id="filings_goods_submit", tags=["filings"], summary="Submit the draft to customs",
                   request=None,
                   responses={200: GoodsItemOutputSerializer, 400: ErrorSerializer, 404: ErrorSerializer,
                              409: ErrorSerializer})
    def post(self, request, item_no: str):
        item = _own_item(request, item_no)
        try:
            goods_services.goods_submit(actor=request.user, item=item)
        except goods_services.GoodsValidationError as exc:
            raise _validation_error(exc.extra.get("errors") or []) from exc
        return _item_answer(item)


class GoodsBulkView(IdempotentAPIView):
    """Create up to 1,000 goods items in one request; each is accepted or rejected on its own.

    The answer lists every item in request order as ``{"index", "item_no", "status", "errors"}``.
    Items are validated against code tables loaded once; a SKU already used earlier in the batch
    is rejected as ``sku_duplicate``; each accepted item is created in its own transaction, so a
    rejected one never undoes the others.
    """

    permission_classes = [IsAuthenticated, HasScope]
    required_scopes = {"POST": ["goods:write"]}
    required_perms = {"POST": []}

    @extend_schema(operation_id="filings_goods_bulk_create", tags=["filings"],
                   summary="Create up to 1,000 goods items", request=GoodsInputSerializer(many=True),
                   responses={200: GoodsBulkResultSerializer(many=True), 400: ErrorSerializer})
    def post(self, request):
        organization = _caller_organization(request)
        items = request.data
        if not isinstance(items, list):
            raise ValidationError({"non_field_errors": [ErrorDetail(_("Send a JSON array of goods items."),
                                                                    code="not_a_list")]})
        if len(items) > BULK_MAX_ITEMS:
            raise TooManyItems(_("At most %(n)d items per request.") % {"n": BULK_MAX_ITEMS})
        parsed: list[dict | None] = []
        results: list[dict] = []
        for index, raw in enumerate(items):
            item_no = raw.get("item_no") if isinstance(raw, dict) else None
            results.append({"index": index, "item_no": None if item_no is None else str(item_no),
                            "status": "rejected", "errors": []})
            serializer = GoodsInputSerializer(data=raw) if isinstance(raw, dict) else None
            if serializer is None:
                results[-1]["errors"] = [{"field": None, "code": "not_an_object",
                                          "message": _("Send one goods item as a JSON object.")}]
                parsed.append(None)
            elif not serializer.is_valid():
                results[-1]["errors"] = _flat(serializer.errors)
                parsed.append(None)
            else:
                parsed.append(serializer.to_goods_data())

        tables = goods_services.CodeTables.load(
            hs_codes={goods_services._code(d.get("hs_code"), 10) for d in parsed if d})
        skus = {goods_services._text(d.get("item_no")) for d in parsed if d}
        existing = set(GoodsItem.objects.filter(organization=organization, item_no__in=skus)
                       .values_list("item_no", flat=True))
        seen: dict[str, int] = {}
        good: list[tuple[dict, dict]] = []  # (result, cleaned)
        for result, data in zip(results, parsed, strict=True):
            if data is None:
                continue
            cleaned, errors = goods_services.goods_validate(data, organization=organization, tables=tables,
                                                            existing_skus=existing)
            sku = cleaned["item_no"]
            result["item_no"] = sku or result["item_no"]
            if sku and sku in seen and not any(e["field"] == "item_no" for e in errors):
                errors.append({"field": "item_no", "code": "sku_duplicate",
                               "message": _("This SKU is already item %(index)d of this request.")
                               % {"index": seen[sku]}})
            seen.setdefault(sku, result["index"])
            if errors:
                result["errors"] = [{**e, "message": str(e["message"])} for e in errors]
            else:
                good.append((result, cleaned))
        _items, taken = goods_services.goods_create_many(
            actor=request.user, organization=organization, cleaned=[c for _r, c in good],
            action="filings.goodsitem.bulk_create", extra={"items": len(items)})
        for result, cleaned in good:
            if cleaned["item_no"] in taken:  # created by a concurrent request since the check
                result["errors"] = [{"field": "item_no", "code": "sku_duplicate",
                                     "message": _("Your enterprise has already registered this SKU.")}]
            else:
                result["status"] = "accepted"
        return Response(GoodsBulkResultSerializer(results, many=True).data)


def _flat(errors) -> list[dict]:
    return [{**e, "message": str(e["message"])} for e in flatten_errors(errors)]
