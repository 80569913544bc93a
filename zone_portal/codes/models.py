"""Reference code tables (参数代码).

Every table is keyed by its natural code (the customs code, the GB/T 2260 code, the HS code), is
loaded from the CSV files in ``data/`` by ``manage.py load_codes`` and can be re-imported from an
official file in the back office. Codes are withdrawn with ``is_active`` rather than deleted, so
that old documents keep their meaning. Notes columns keep the provenance of each row from
``data/README.md``: a row flagged UNVERIFIED there stays flagged here.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Left
from django.utils.translation import gettext_lazy as _


class CodeRow(models.Model):
    """Columns shared by the customs code tables."""

    notes = models.TextField(_("notes"), blank=True, help_text=_("Provenance and verification notes."))
    is_active = models.BooleanField(
        _("active"), default=True,
        help_text=_("Withdrawn codes stay for old documents but are not offered for new ones."),
    )

    class Meta:
        abstract = True


class TradeMode(CodeRow):
    """A customs supervision mode (监管方式), e.g. 9610 direct e-commerce, 1210 bonded e-commerce."""

    class Direction(models.TextChoices):
        IMPORT = "import", _("import")
        EXPORT = "export", _("export")
        BOTH = "both", _("import and export")

    code = models.CharField(_("code"), max_length=4, unique=True)
    name_zh = models.CharField(_("Chinese name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices)

    class Meta:
        verbose_name = _("trade mode (监管方式)")
        verbose_name_plural = _("trade modes (监管方式)")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(code__regex=r"^[0-9]{4}$"), name="codes_trademode_code_4_digits"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name_zh}"


class Country(CodeRow):
    """A country or region in the customs 3-digit list used by CEB messages (国别地区, JGS-20).

    Beware the public data that maps 303 to France: 303 is the United Kingdom, 305 is France.
    """

    customs_code = models.CharField(_("customs code"), max_length=3, unique=True)
    name_zh = models.CharField(_("Chinese name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    iso_alpha2 = models.CharField(_("ISO 3166 alpha-2"), max_length=2, blank=True, db_index=True)
    iso_alpha3 = models.CharField(_("ISO 3166 alpha-3"), max_length=3, blank=True)

    class Meta:
        verbose_name = _("country or region (国别地区)")
        verbose_name_plural = _("countries and regions (国别地区)")
        ordering = ["customs_code"]
        constraints = [
            models.CheckConstraint(condition=Q(customs_code__regex=r"^[0-9]{3}$"),
                                   name="codes_country_code_3_digits"),
        ]

    def __str__(self) -> str:
        return f"{self.customs_code} {self.name_zh}"


class Currency(CodeRow):
    """A currency in the customs 3-digit list (币制); import messages always carry 142 (CNY)."""

    class IsoStatus(models.TextChoices):
        CURRENT = "current", _("current")
        OBSOLETE = "obsolete", _("obsolete")

    customs_code = models.CharField(_("customs code"), max_length=3, unique=True)
    iso_code = models.CharField(_("ISO 4217 code"), max_length=3, db_index=True)
    name_zh = models.CharField(_("Chinese name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    iso_status = models.CharField(_("ISO status"), max_length=10, choices=IsoStatus.choices,
                                  default=IsoStatus.CURRENT)
    sources = models.CharField(_("sources"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("currency (币制)")
        verbose_name_plural = _("currencies (币制)")
        ordering = ["customs_code"]
        constraints = [
            models.CheckConstraint(condition=Q(customs_code__regex=r"^[0-9]{3}$"),
                                   name="codes_currency_code_3_digits"),
        ]

    def __str__(self) -> str:
        return f"{self.customs_code} {self.name_zh} ({self.iso_code})"


class Unit(CodeRow):
    """A customs unit of measure (计量单位), e.g. 035 千克, 122 罐, 140 盒."""

    code = models.CharField(_("code"), max_length=3, unique=True)
    name_zh = models.CharField(_("Chinese name"), max_length=50)
    sources = models.CharField(_("sources"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("unit of measure (计量单位)")
        verbose_name_plural = _("units of measure (计量单位)")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(code__regex=r"^[0-9]{3}$"), name="codes_unit_code_3_digits"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name_zh}"


class TransportMode(CodeRow):
    """A transport mode (运输方式), one character in CEB ``trafMode``."""

    code = models.CharField(_("code"), max_length=1, unique=True)
    name_zh = models.CharField(_("Chinese name"), max_length=50)
    name_zh_legacy = models.CharField(_("legacy Chinese name"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("transport mode (运输方式)")
        verbose_name_plural = _("transport modes (运输方式)")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name_zh}"


class WrapType(CodeRow):
    """A package type (包装种类), one digit in CEB messages."""

    code = models.CharField(_("code"), max_length=2, unique=True)
    name_zh = models.CharField(_("Chinese name"), max_length=50)

    class Meta:
        verbose_name = _("wrap type (包装种类)")
        verbose_name_plural = _("wrap types (包装种类)")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name_zh}"


class CustomsDistrict(CodeRow):
    """A customs district or office (关区, JGS/T 18), used for ``customsCode`` and ``portCode``.

    CEB's ``portCode`` (口岸海关) is a 4-digit district code too, so this table also serves as the
    port list. The bundled list is partial: load the official list over it.
    """

    class Level(models.TextChoices):
        GACC = "gacc", _("General Administration (海关总署)")
        HEAD = "head", _("head office (直属海关)")
        FIELD = "field", _("field office (隶属海关)")

    code = models.CharField(_("code"), max_length=4, unique=True)
    name_zh = models.CharField(_("Chinese name"), max_length=100)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent district"), to_field="code", null=True, blank=True,
        on_delete=models.PROTECT, related_name="children",
    )
    verified = models.BooleanField(_("verified"), default=False,
                                   help_text=_("Confirmed by at least two independent sources."))
    sources = models.CharField(_("sources"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("customs district (关区)")
        verbose_name_plural = _("customs districts (关区)")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(code__regex=r"^[0-9]{4}$"),
                                   name="codes_customsdistrict_code_4_digits"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name_zh}"


class Division(models.Model):
    """An administrative division (行政区划, GB/T 2260) with the years it was valid.

    A code can have several rows, one per name period; ``is_current`` marks the row in force.
    Historical rows are kept because older resident ID numbers still carry them.
    """

    class Level(models.TextChoices):
        PROVINCE = "province", _("province (省级)")
        PREFECTURE = "prefecture", _("prefecture (地级)")
        COUNTY = "county", _("county (县级)")

    code = models.CharField(_("code"), max_length=6, db_index=True)
    name_zh = models.CharField(_("Chinese name"), max_length=100)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    parent_code = models.CharField(_("parent code"), max_length=6, blank=True, db_index=True)
    valid_from = models.PositiveSmallIntegerField(_("valid from (year)"), null=True, blank=True)
    valid_to = models.PositiveSmallIntegerField(_("valid until (year)"), null=True, blank=True)
    is_current = models.BooleanField(_("current"), default=True)
    source = models.CharField(_("source"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("administrative division (行政区划)")
        verbose_name_plural = _("administrative divisions (行政区划)")
        ordering = ["code", "valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["code", "valid_from", "valid_to"], nulls_distinct=False,
                                    name="codes_division_code_period_unique"),
            models.CheckConstraint(condition=Q(code__regex=r"^[0-9]{6}$"), name="codes_division_code_6_digits"),
        ]
        indexes = [models.Index(fields=["level", "is_current"], name="codes_division_level_idx")]

    def __str__(self) -> str:
        period = ""
        if self.valid_from or self.valid_to:
            period = f" [{self.valid_from or ''}–{self.valid_to or ''}]"
        return f"{self.code} {self.name_zh}{period}"

    @property
    def province_code(self) -> str:
        return self.code[:2] + "0000"


class HsChapter(models.Model):
    """A chapter (章) of the Harmonized System, 01–97 (77 is reserved)."""

    chapter = models.CharField(_("chapter"), max_length=2, unique=True)
    section = models.CharField(_("section"), max_length=5, blank=True)
    name_en = models.TextField(_("English name"), blank=True)
    name_zh = models.TextField(_("Chinese name"), blank=True)
    name_en_wco_2012 = models.TextField(_("English name (WCO 2012)"), blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("HS chapter (章)")
        verbose_name_plural = _("HS chapters (章)")
        ordering = ["chapter"]

    def __str__(self) -> str:
        return f"{self.chapter} {self.name_zh or self.name_en}"


class Hs6(models.Model):
    """An HS 2022 six-digit subheading (子目); the first six digits of every 10-digit code."""

    hs6 = models.CharField(_("HS 6-digit code"), max_length=6, unique=True)
    description_en = models.TextField(_("English description"))
    heading = models.CharField(_("heading (品目)"), max_length=4, db_index=True)
    # Not a foreign key: the open dataset ends with 999999 "commodities not specified according
    # to kind" in UN Comtrade's pseudo-chapter 99, which is kept as loaded.
    chapter = models.CharField(_("chapter"), max_length=2, db_index=True)
    section = models.CharField(_("section"), max_length=5, blank=True)

    class Meta:
        verbose_name = _("HS 2022 subheading (子目)")
        verbose_name_plural = _("HS 2022 subheadings (子目)")
        ordering = ["hs6"]
        constraints = [
            models.CheckConstraint(condition=Q(hs6__regex=r"^[0-9]{6}$"), name="codes_hs6_6_digits"),
        ]

    def __str__(self) -> str:
        return f"{self.hs6} {self.description_en[:80]}"


class HsCode(models.Model):
    """A China 10-digit commodity code (商品编号): 8-digit tariff line + 2 customs digits.

    The bundled table is a curated sample, not the official tariff; its rates live in dated
    :class:`HsRate` rows. The first six digits must be an HS 2022 subheading.
    """

    hs_code = models.CharField(_("HS code"), max_length=10, unique=True)
    name_zh = models.CharField(_("Chinese name"), max_length=300)
    hs6 = models.ForeignKey(Hs6, verbose_name=_("HS 2022 subheading"), to_field="hs6",
                            on_delete=models.PROTECT, related_name="hs_codes")
    legal_unit_1 = models.ForeignKey(Unit, verbose_name=_("first legal unit"), to_field="code",
                                     on_delete=models.PROTECT, related_name="+")
    legal_unit_2 = models.ForeignKey(Unit, verbose_name=_("second legal unit"), to_field="code",
                                     null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    positive_list = models.BooleanField(
        _("on the retail-import positive list"), default=False,
        help_text=_("Listed in 跨境电子商务零售进口商品清单."),
    )
    source = models.CharField(_("source"), max_length=300, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("HS commodity code (商品编号)")
        verbose_name_plural = _("HS commodity codes (商品编号)")
        ordering = ["hs_code"]
        permissions = [("import_codes", _("Can import reference code tables"))]
        constraints = [
            models.CheckConstraint(condition=Q(hs_code__regex=r"^[0-9]{10}$"), name="codes_hscode_10_digits"),
            models.CheckConstraint(condition=Q(hs6_id=Left("hs_code", 6)), name="codes_hscode_hs6_prefix"),
        ]

    def __str__(self) -> str:
        return f"{self.hs_code} {self.name_zh}"

    @property
    def chapter(self) -> str:
        return self.hs_code[:2]


class HsRate(models.Model):
    """The tax and refund rates of an HS code from a date (税率与退税率).

    Rates are fractions (0.13 = 13 %). A later row supersedes an earlier one from its
    ``effective_from``; ``effective_to`` ends a row without a successor (a withdrawn code).
    The specific consumption tax (从量, e.g. 0.912 CNY per litre of spirits) is kept beside the
    ad valorem rate.
    """

    hs_code = models.ForeignKey(HsCode, verbose_name=_("HS code"), to_field="hs_code",
                                on_delete=models.CASCADE, related_name="rates")
    vat_rate = models.DecimalField(_("import VAT rate"), max_digits=5, decimal_places=4)
    consumption_tax_rate = models.DecimalField(_("consumption tax rate (ad valorem)"), max_digits=5,
                                               decimal_places=4, default=0)
    consumption_tax_specific = models.DecimalField(
        _("specific consumption tax (CNY per unit)"), max_digits=12, decimal_places=4, default=0,
    )
    consumption_tax_specific_unit = models.ForeignKey(
        Unit, verbose_name=_("unit of the specific consumption tax"), to_field="code", null=True,
        blank=True, on_delete=models.PROTECT, related_name="+",
    )
    export_refund_rate = models.DecimalField(_("export refund rate"), max_digits=5, decimal_places=4)
    effective_from = models.DateField(_("effective from"))
    effective_to = models.DateField(_("effective until"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=300, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("HS rate (税率与退税率)")
        verbose_name_plural = _("HS rates (税率与退税率)")
        ordering = ["hs_code_id", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["hs_code", "effective_from"], name="codes_hsrate_code_date_unique"),
            models.CheckConstraint(
                condition=Q(vat_rate__gte=0, vat_rate__lt=1, consumption_tax_rate__gte=0,
                            consumption_tax_rate__lt=1, export_refund_rate__gte=0, export_refund_rate__lt=1,
                            consumption_tax_specific__gte=0),
                name="codes_hsrate_rates_in_range",
            ),
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_to__gte=F("effective_from")),
                name="codes_hsrate_period_ordered",
            ),
            models.CheckConstraint(
                condition=Q(consumption_tax_specific=0) | Q(consumption_tax_specific_unit__isnull=False),
                name="codes_hsrate_specific_tax_has_unit",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.hs_code_id} from {self.effective_from}"
