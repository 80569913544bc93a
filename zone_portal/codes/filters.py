"""FilterSets of the code tables, used by the API (and by any page that lists codes)."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

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


class CodeSearchFilterSet(django_filters.FilterSet):
    """``q``: a code prefix when it is all digits (or a short code), else a name fragment."""

    q = django_filters.CharFilter(method="filter_q", label=_("code prefix or name"))
    code_field = "code"
    name_fields: tuple[str, ...] = ("name_zh",)

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        condition = Q(**{f"{self.code_field}__istartswith": value})
        if not value.isdigit():
            for field in self.name_fields:
                condition |= Q(**{f"{field}__icontains": value})
        return queryset.filter(condition)


class TradeModeFilterSet(CodeSearchFilterSet):
    name_fields = ("name_zh", "name_en")

    class Meta:
        model = TradeMode
        fields = ["direction", "is_active"]


class CountryFilterSet(CodeSearchFilterSet):
    code_field = "customs_code"
    name_fields = ("name_zh", "name_en", "iso_alpha2", "iso_alpha3")

    class Meta:
        model = Country
        fields = ["iso_alpha2", "iso_alpha3", "is_active"]


class CurrencyFilterSet(CodeSearchFilterSet):
    code_field = "customs_code"
    name_fields = ("name_zh", "name_en", "iso_code")

    class Meta:
        model = Currency
        fields = ["iso_code", "iso_status", "is_active"]


class UnitFilterSet(CodeSearchFilterSet):
    class Meta:
        model = Unit
        fields = ["is_active"]


class TransportModeFilterSet(CodeSearchFilterSet):
    class Meta:
        model = TransportMode
        fields = ["is_active"]


class WrapTypeFilterSet(CodeSearchFilterSet):
    class Meta:
        model = WrapType
        fields = ["is_active"]


class CustomsDistrictFilterSet(CodeSearchFilterSet):
    parent = django_filters.CharFilter(field_name="parent_id", label=_("parent district code"))

    class Meta:
        model = CustomsDistrict
        fields = ["level", "verified", "is_active"]


class DivisionFilterSet(CodeSearchFilterSet):
    province = django_filters.CharFilter(method="filter_province", label=_("province code (2 or 6 digits)"))

    class Meta:
        model = Division
        fields = ["code", "level", "parent_code", "is_current"]

    def filter_province(self, queryset, name, value):
        return queryset.filter(code__startswith=value.strip()[:2])


class HsChapterFilterSet(CodeSearchFilterSet):
    code_field = "chapter"
    name_fields = ("name_zh", "name_en")

    class Meta:
        model = HsChapter
        fields = ["section"]


class Hs6FilterSet(CodeSearchFilterSet):
    code_field = "hs6"
    name_fields = ("description_en",)

    class Meta:
        model = Hs6
        fields = ["chapter", "heading"]


class HsCodeFilterSet(CodeSearchFilterSet):
    code_field = "hs_code"
    chapter = django_filters.CharFilter(method="filter_chapter", label=_("chapter (2 digits)"))
    hs6 = django_filters.CharFilter(field_name="hs6_id", label=_("HS 2022 subheading (6 digits)"))
    vat_rate = django_filters.NumberFilter(field_name="rate_vat_rate", label=_("VAT rate in force (e.g. 0.13)"))

    class Meta:
        model = HsCode
        fields = ["positive_list", "is_active"]

    def filter_chapter(self, queryset, name, value):
        return queryset.filter(hs_code__startswith=value.strip().zfill(2)[:2])
