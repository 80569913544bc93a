"""Read-only REST API of the code tables (``/api/v1/codes/…``), for any authenticated caller.

Lists take the FilterSets of ``filters.py`` (``q`` searches a code prefix or a name) and are
cursor-paginated on the table's code; details are addressed by the code itself.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import IsAuthenticated

from . import filters, selectors
from .models import (
    Country,
    Currency,
    CustomsDistrict,
    Division,
    Hs6,
    HsChapter,
    HsCode,
    TradeMode,
    TransportMode,
    Unit,
    WrapType,
)


class CodeCursorPagination(CursorPagination):
    """Cursor pagination on the view's ``cursor_ordering`` (the table's unique code)."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_ordering(self, request, queryset, view):
        return tuple(view.cursor_ordering)


# --- serializers (output only: the API never writes codes) ----------------------------------


class TradeModeSerializer(serializers.ModelSerializer):
    class Meta:
        model = TradeMode
        fields = ["code", "name_zh", "name_en", "direction", "notes", "is_active"]


class CountrySerializer(serializers.ModelSerializer):
    class Meta:
        model = Country
        fields = ["customs_code", "name_zh", "name_en", "iso_alpha2", "iso_alpha3", "notes", "is_active"]


class CurrencySerializer(serializers.ModelSerializer):
    class Meta:
        model = Currency
        fields = ["customs_code", "iso_code", "name_zh", "name_en", "iso_status", "notes", "is_active"]


class UnitSerializer(serializers.ModelSerializer):
    class Meta:
        model = Unit
        fields = ["code", "name_zh", "notes", "is_active"]


class UnitRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Unit
        fields = ["code", "name_zh"]


class TransportModeSerializer(serializers.ModelSerializer):
    class Meta:
        model = TransportMode
        fields = ["code", "name_zh", "name_zh_legacy", "notes", "is_active"]


class WrapTypeSerializer(serializers.ModelSerializer):
    class Meta:
        model = WrapType
        fields = ["code", "name_zh", "notes", "is_active"]


class CustomsDistrictSerializer(serializers.ModelSerializer):
    parent_code = serializers.CharField(source="parent_id", allow_null=True)

    class Meta:
        model = CustomsDistrict
        fields = ["code", "name_zh", "level", "parent_code", "verified", "notes", "is_active"]


class DivisionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Division
        fields = ["id", "code", "name_zh", "level", "parent_code", "valid_from", "valid_to", "is_current"]


class HsChapterSerializer(serializers.ModelSerializer):
    class Meta:
        model = HsChapter
        fields = ["chapter", "section", "name_zh", "name_en", "notes"]


class Hs6Serializer(serializers.ModelSerializer):
    class Meta:
        model = Hs6
        fields = ["hs6", "description_en", "heading", "chapter", "section"]


class RateInForceSerializer(serializers.Serializer):
    """The rates in force on the requested date (from the ``rate_*`` annotations of the selector)."""

    vat_rate = serializers.DecimalField(source="rate_vat_rate", max_digits=5, decimal_places=4)
    consumption_tax_rate = serializers.DecimalField(source="rate_consumption_tax_rate", max_digits=5,
                                                    decimal_places=4)
    consumption_tax_specific = serializers.DecimalField(source="rate_consumption_tax_specific",
                                                        max_digits=12, decimal_places=4)
    consumption_tax_specific_unit = serializers.CharField(source="rate_consumption_tax_specific_unit_id",
                                                          allow_null=True)
    export_refund_rate = serializers.DecimalField(source="rate_export_refund_rate", max_digits=5,
                                                  decimal_places=4)
    effective_from = serializers.DateField(source="rate_effective_from")


class HsCodeSerializer(serializers.ModelSerializer):
    chapter = serializers.CharField(read_only=True)
    hs6 = serializers.CharField(source="hs6_id")
    legal_unit_1 = UnitRefSerializer()
    legal_unit_2 = UnitRefSerializer(allow_null=True)
    rates = RateInForceSerializer(source="*", allow_null=True,
                                  help_text=_("Rates in force on the requested date; null if none."))

    class Meta:
        model = HsCode
        fields = ["hs_code", "name_zh", "chapter", "hs6", "legal_unit_1", "legal_unit_2", "positive_list",
                  "rates", "source", "notes", "is_active"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if getattr(instance, "rate_effective_from", None) is None:
            data["rates"] = None
        return data


# --- viewsets -------------------------------------------------------------------------------


@extend_schema(tags=["codes"])
class CodeViewSet(viewsets.ReadOnlyModelViewSet):
    """Base: authenticated callers only, FilterSet filters, cursor pagination on the code."""

    permission_classes = [IsAuthenticated]
    filter_backends = [DjangoFilterBackend]
    pagination_class = CodeCursorPagination
    cursor_ordering: tuple[str, ...] = ("code",)


class TradeModeViewSet(CodeViewSet):
    """Customs supervision modes (监管方式)."""

    queryset = TradeMode.objects.all()
    serializer_class = TradeModeSerializer
    filterset_class = filters.TradeModeFilterSet
    lookup_field = "code"


class CountryViewSet(CodeViewSet):
    """Countries and regions (国别地区), customs 3-digit codes with ISO codes beside them."""

    queryset = Country.objects.all()
    serializer_class = CountrySerializer
    filterset_class = filters.CountryFilterSet
    lookup_field = "customs_code"
    cursor_ordering = ("customs_code",)


class CurrencyViewSet(CodeViewSet):
    """Currencies (币制), customs 3-digit codes with ISO 4217 codes."""

    queryset = Currency.objects.all()
    serializer_class = CurrencySerializer
    filterset_class = filters.CurrencyFilterSet
    lookup_field = "customs_code"
    cursor_ordering = ("customs_code",)


class UnitViewSet(CodeViewSet):
    """Units of measure (计量单位)."""

    queryset = Unit.objects.all()
    serializer_class = UnitSerializer
    filterset_class = filters.UnitFilterSet
    lookup_field = "code"


class TransportModeViewSet(CodeViewSet):
    """Transport modes (运输方式)."""

    queryset = TransportMode.objects.all()
    serializer_class = TransportModeSerializer
    filterset_class = filters.TransportModeFilterSet
    lookup_field = "code"


class WrapTypeViewSet(CodeViewSet):
    """Package types (包装种类)."""

    queryset = WrapType.objects.all()
    serializer_class = WrapTypeSerializer
    filterset_class = filters.WrapTypeFilterSet
    lookup_field = "code"


class CustomsDistrictViewSet(CodeViewSet):
    """Customs districts (关区), also the port codes of CEB messages."""

    queryset = CustomsDistrict.objects.all()
    serializer_class = CustomsDistrictSerializer
    filterset_class = filters.CustomsDistrictFilterSet
    lookup_field = "code"


class DivisionViewSet(CodeViewSet):
    """Administrative divisions (行政区划, GB/T 2260); a code may have historical rows, so details
    are addressed by id and ``?code=`` filters by code."""

    queryset = Division.objects.all()
    serializer_class = DivisionSerializer
    filterset_class = filters.DivisionFilterSet
    cursor_ordering = ("code", "id")


class HsChapterViewSet(CodeViewSet):
    """The 97 HS chapters (章)."""

    queryset = HsChapter.objects.all()
    serializer_class = HsChapterSerializer
    filterset_class = filters.HsChapterFilterSet
    lookup_field = "chapter"
    cursor_ordering = ("chapter",)


class Hs6ViewSet(CodeViewSet):
    """HS 2022 six-digit subheadings (子目), in English."""

    queryset = Hs6.objects.all()
    serializer_class = Hs6Serializer
    filterset_class = filters.Hs6FilterSet
    lookup_field = "hs6"
    cursor_ordering = ("hs6",)


_ON_PARAMETER = OpenApiParameter(
    "on", OpenApiTypes.DATE, description="Date of the rates to show (YYYY-MM-DD); default today.",
)


@extend_schema_view(list=extend_schema(parameters=[_ON_PARAMETER]),
                    retrieve=extend_schema(parameters=[_ON_PARAMETER]))
class HsCodeViewSet(CodeViewSet):
    """China 10-digit commodity codes (商品编号) with their units and the rates in force.

    The bundled table is a curated sample, not the official tariff (see each row's ``source``).
    """

    serializer_class = HsCodeSerializer
    filterset_class = filters.HsCodeFilterSet
    lookup_field = "hs_code"
    lookup_value_regex = r"[0-9]{10}"
    cursor_ordering = ("hs_code",)

    def get_queryset(self):
        return selectors.hs_code_list(on=self._rates_date())

    def _rates_date(self) -> dt.date:
        raw = self.request.query_params.get("on")
        if not raw:
            return timezone.localdate()
        try:
            return dt.date.fromisoformat(raw)
        except ValueError:
            raise ValidationError({"on": [_("Enter a date as YYYY-MM-DD.")]}, code="invalid") from None
