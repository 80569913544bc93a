"""Serializers of the filings API, input and output kept apart.

Input serializers only parse shapes (strings, a list of modes); the goods rules live in
``filings.goods.goods_validate``, which the services call, so the API, the web form and the Excel
import refuse the same data with the same codes.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from filings.goods import INPUT_FIELDS
from filings.models import GoodsItem, GoodsVersion

# --- enterprise filing status -------------------------------------------------------------


class EnterpriseFilingStatusOutputSerializer(serializers.Serializer):
    """Whether an enterprise is filed, in which roles and since when. Nothing personal."""

    uscc = serializers.CharField(help_text=_("Unified social credit code."))
    filed = serializers.BooleanField(help_text=_("True while the enterprise has an effective filing."))
    status = serializers.CharField(help_text=_("Status of the filing (submitted, under_review, filed …)."))
    roles = serializers.ListField(child=serializers.CharField(), help_text=_("Roles in the effective filing."))
    since = serializers.DateTimeField(allow_null=True, help_text=_("When the enterprise was first filed."))
    filing_no = serializers.CharField(allow_null=True, help_text=_("Filing number (备案编号)."))


# --- goods: input -------------------------------------------------------------------------


def _text_field(**kwargs) -> serializers.CharField:
    return serializers.CharField(required=False, allow_blank=True, allow_null=True, trim_whitespace=True, **kwargs)


class GoodsInputSerializer(serializers.Serializer):
    """One goods item as a partner sends it; codes by their customs code (``hs_code`` 10 digits,
    ``origin_country``/``currency`` 3 digits, units 3 digits), ``modes`` a list such as
    ``["1210", "9610"]``, ``direction`` ``import`` or ``export``. The positive-list flag is
    derived from the HS code and never taken from input."""

    item_no = _text_field(help_text=_("SKU (itemNo), unique within the enterprise."))
    name = _text_field()
    name_en = _text_field()
    hs_code = _text_field()
    declaration_elements = _text_field()
    brand = _text_field()
    model_spec = _text_field()
    ingredients = _text_field()
    usage = _text_field()
    origin_country = _text_field()
    legal_unit_1 = _text_field()
    legal_unit_2 = _text_field()
    declared_unit = _text_field()
    unit_price = _text_field(help_text=_("A decimal number as a string, e.g. \"199.00\" (at most 5 decimals)."))
    currency = _text_field()
    barcode = _text_field()
    manufacturer = _text_field()
    modes = serializers.ListField(child=serializers.CharField(), required=False, allow_empty=True)
    direction = _text_field()

    def to_goods_data(self) -> dict:
        """The validated shape as the input dictionary of ``goods_validate``."""
        return {name: self.validated_data.get(name) for name in INPUT_FIELDS}


# --- goods: output ------------------------------------------------------------------------


class GoodsVersionOutputSerializer(serializers.ModelSerializer):
    """One version's data, codes as strings."""

    hs_code = serializers.CharField(source="hs_code_id")
    origin_country = serializers.CharField(source="origin_country_id")
    legal_unit_1 = serializers.CharField(source="legal_unit_1_id")
    legal_unit_2 = serializers.CharField(source="legal_unit_2_id", allow_null=True)
    declared_unit = serializers.CharField(source="declared_unit_id")
    currency = serializers.CharField(source="currency_id")

    class Meta:
        model = GoodsVersion
        fields = ["number", "status", "name", "name_en", "hs_code", "declaration_elements", "brand", "model_spec",
                  "ingredients", "usage", "origin_country", "legal_unit_1", "legal_unit_2", "declared_unit",
                  "unit_price", "currency", "barcode", "manufacturer", "modes", "direction", "positive_list",
                  "submitted_at", "decided_at", "reason"]


def _versions(item: GoodsItem) -> list[GoodsVersion]:
    # From the prefetch when there is one (lists prefetch, so no query per item).
    return sorted(item.versions.all(), key=lambda v: -v.number)


class GoodsItemOutputSerializer(serializers.ModelSerializer):
    """A goods item: its status, record number and traceability id once filed, the data of the
    version in force, and the state of the version in progress."""

    effective_version = serializers.SerializerMethodField()
    open_version = serializers.SerializerMethodField()

    class Meta:
        model = GoodsItem
        fields = ["item_no", "status", "record_no", "trace_id", "filed_at", "created_at", "updated_at",
                  "effective_version", "open_version"]

    def get_effective_version(self, item: GoodsItem) -> dict | None:
        version = next((v for v in _versions(item) if v.pk == item.effective_version_id), None)
        return GoodsVersionOutputSerializer(version).data if version else None

    def get_open_version(self, item: GoodsItem) -> dict | None:
        # The latest version when it is not the one in force: a draft, one under review, or the
        # last rejected application.
        versions = _versions(item)
        latest = versions[0] if versions else None
        if latest is None or latest.pk == item.effective_version_id:
            return None
        return GoodsVersionOutputSerializer(latest).data


class GoodsBulkResultSerializer(serializers.Serializer):
    """The outcome of one item of a bulk create, in request order."""

    index = serializers.IntegerField()
    item_no = serializers.CharField(allow_null=True)
    status = serializers.ChoiceField(choices=["accepted", "rejected"])
    errors = serializers.ListField(child=serializers.DictField())
