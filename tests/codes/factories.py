"""Factories for the reference code tables (for tests that need a code without loading them all)."""

from datetime import date
from decimal import Decimal

import factory

from zone_portal.codes import models as m


class TradeModeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.TradeMode
        django_get_or_create = ("code",)

    code = "9610"
    name_zh = "跨境贸易电子商务"
    name_en = "Cross-border e-commerce"
    direction = m.TradeMode.Direction.BOTH


class CountryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Country
        django_get_or_create = ("customs_code",)

    customs_code = "303"
    name_zh = "英国"
    name_en = "United Kingdom"
    iso_alpha2 = "GB"
    iso_alpha3 = "GBR"


class CurrencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Currency
        django_get_or_create = ("customs_code",)

    customs_code = "142"
    iso_code = "CNY"
    name_zh = "人民币"
    name_en = "Yuan Renminbi"


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Unit
        django_get_or_create = ("code",)

    code = "035"
    name_zh = "千克"


class TransportModeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.TransportMode
        django_get_or_create = ("code",)

    code = "5"
    name_zh = "航空运输"


class WrapTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.WrapType
        django_get_or_create = ("code",)

    code = "2"
    name_zh = "纸箱"


class CustomsDistrictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.CustomsDistrict
        django_get_or_create = ("code",)

    code = "2900"
    name_zh = "杭州关区"
    level = m.CustomsDistrict.Level.HEAD


class DivisionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Division

    code = "330100"
    name_zh = "杭州市"
    level = m.Division.Level.PREFECTURE
    parent_code = "330000"


class HsChapterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.HsChapter
        django_get_or_create = ("chapter",)

    chapter = "33"
    section = "VI"
    name_en = "Essential oils and resinoids; perfumery, cosmetic or toilet preparations"
    name_zh = "精油及香膏；芳香料制品及化妆盥洗品"


class Hs6Factory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Hs6
        django_get_or_create = ("hs6",)

    hs6 = "330499"
    description_en = "Beauty, make-up and skin-care preparations; n.e.c. in heading 3304"
    heading = "3304"
    chapter = "33"
    section = "VI"


class HsCodeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.HsCode
        django_get_or_create = ("hs_code",)

    hs_code = "3304990099"
    name_zh = "其他美容品或化妆品及护肤品"
    hs6 = factory.SubFactory(Hs6Factory)
    legal_unit_1 = factory.SubFactory(UnitFactory)
    positive_list = True


class HsRateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.HsRate

    hs_code = factory.SubFactory(HsCodeFactory)
    vat_rate = Decimal("0.13")
    consumption_tax_rate = Decimal("0")
    export_refund_rate = Decimal("0.13")
    effective_from = date(2019, 4, 1)
