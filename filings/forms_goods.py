"""Forms of the goods filing pages (商品备案).

The goods form only parses input: every goods rule (required fields, codes, legal units of the HS
code, GTIN, positive list, SKU unique in the enterprise) is checked by ``goods.goods_validate``
through the services, whose errors the view puts back on these fields, so that every error of an
item shows at once. The form itself checks only what never reaches a service: the pictures'
type by content and their number.
"""

from __future__ import annotations

from django import forms
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from zone_portal.codes.models import Country, Currency, Unit
from zone_portal.core.errors import ApplicationError

from .goods import INPUT_FIELDS
from .goods_images import MAX_IMAGES_PER_VERSION, check_image
from .models import CustomsMode, GoodsItem, GoodsVersion


def _verbose(model, name: str):
    return capfirst(model._meta.get_field(name).verbose_name)


# The goods pages name every field as the model (and so the back office) does.
LABELS = {
    **{name: _verbose(GoodsItem, name) for name in ("item_no", "record_no", "trace_id", "status", "filed_at")},
    **{name: _verbose(GoodsVersion, name) for name in (
        "name", "name_en", "hs_code", "declaration_elements", "brand", "model_spec", "ingredients", "usage",
        "origin_country", "legal_unit_1", "legal_unit_2", "declared_unit", "unit_price", "currency", "barcode",
        "manufacturer", "modes", "direction", "positive_list", "number", "submitted_at", "decided_at", "reason")},
}
DIRECTION_CHOICES = [("import", _("import")), ("export", _("export"))]
IMPORT_MODE_CHOICES = [
    ("all_or_nothing", _("All or nothing: import nothing when any row has an error")),
    ("good_rows", _("Import the good rows and report the bad ones")),
]
MAX_IMPORT_SIZE = 10 * 1024 * 1024
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class MultipleImageInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleImageField(forms.FileField):
    """Several files in one input; ``clean`` answers the list of uploads."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("widget", MultipleImageInput(attrs={"accept": "image/jpeg,image/png"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


def _code_choices(rows) -> list[tuple[str, str]]:
    english = (get_language() or "").startswith("en")
    choices = [("", "---------")]
    for code, name_zh, name_en in rows:
        choices.append((code, f"{code} {(name_en if english and name_en else name_zh)}"))
    return choices


class GoodsForm(forms.Form):
    """A goods item's draft (商品备案申请) with up to five pictures."""

    item_no = forms.CharField(label=LABELS["item_no"], max_length=50, required=False)
    name = forms.CharField(label=LABELS["name"], max_length=250, required=False)
    name_en = forms.CharField(label=LABELS["name_en"], max_length=250, required=False)
    hs_code = forms.CharField(label=LABELS["hs_code"], max_length=10, required=False,
                              help_text=_("The 10-digit commodity code (商品编号)."))
    declaration_elements = forms.CharField(label=LABELS["declaration_elements"], required=False,
                                           widget=forms.Textarea(attrs={"rows": 3}))
    brand = forms.CharField(label=LABELS["brand"], max_length=100, required=False)
    model_spec = forms.CharField(label=LABELS["model_spec"], max_length=200, required=False)
    ingredients = forms.CharField(label=LABELS["ingredients"], max_length=500, required=False)
    usage = forms.CharField(label=LABELS["usage"], max_length=200, required=False)
    origin_country = forms.CharField(label=LABELS["origin_country"], required=False, widget=forms.Select)
    legal_unit_1 = forms.CharField(label=LABELS["legal_unit_1"], required=False, widget=forms.Select)
    legal_unit_2 = forms.CharField(label=LABELS["legal_unit_2"], required=False, widget=forms.Select,
                                   help_text=_("Only when the HS code has one."))
    declared_unit = forms.CharField(label=LABELS["declared_unit"], required=False, widget=forms.Select)
    unit_price = forms.CharField(label=LABELS["unit_price"], max_length=30, required=False,
                                 widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    currency = forms.CharField(label=LABELS["currency"], required=False, widget=forms.Select)
    barcode = forms.CharField(label=LABELS["barcode"], max_length=14, required=False,
                              widget=forms.TextInput(attrs={"inputmode": "numeric"}))
    manufacturer = forms.CharField(label=LABELS["manufacturer"], max_length=200, required=False)
    direction = forms.ChoiceField(label=LABELS["direction"], choices=DIRECTION_CHOICES, required=False,
                                  widget=forms.RadioSelect)
    modes = forms.MultipleChoiceField(label=LABELS["modes"], choices=CustomsMode.choices, required=False,
                                      widget=forms.CheckboxSelectMultiple,
                                      help_text=_("Import goods under 1210 or 9610 must be on the retail-import "
                                                  "positive list; 9710 and 9810 are for export goods."))
    images = MultipleImageField(label=_("Pictures"), required=False,
                                help_text=_("JPEG or PNG, at most 10 MB each, at most 5 per goods item."))

    def __init__(self, *args, existing_images: int = 0, sku_locked: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.existing_images = existing_images
        countries = _code_choices(Country.objects.filter(is_active=True).order_by("customs_code")
                                  .values_list("customs_code", "name_zh", "name_en"))
        currencies = _code_choices(Currency.objects.filter(is_active=True).order_by("customs_code")
                                   .values_list("customs_code", "name_zh", "name_en"))
        units = _code_choices((code, name, "") for code, name in Unit.objects.filter(is_active=True)
                              .order_by("code").values_list("code", "name_zh"))
        # htmx shows what the code table says about the code as it is typed (no inline script: CSP).
        self.fields["hs_code"].widget.attrs.update({
            "hx-get": reverse("filings:goods_hs_lookup"), "hx-trigger": "input changed delay:400ms, change",
            "hx-target": "#hs-info", "hx-swap": "outerHTML", "autocomplete": "off", "inputmode": "numeric",
        })
        self.fields["origin_country"].widget.choices = countries
        self.fields["currency"].widget.choices = currencies
        for name in ("legal_unit_1", "legal_unit_2", "declared_unit"):
            self.fields[name].widget.choices = units
        if sku_locked:
            self.fields["item_no"].disabled = True
            self.fields["item_no"].help_text = _("The SKU of a filed item cannot change.")
        if existing_images >= MAX_IMAGES_PER_VERSION:
            self.fields["images"].disabled = True
            self.fields["images"].help_text = _("This goods item has 5 pictures; remove one to add another.")

    def clean(self):
        data = super().clean()
        uploads = data.get("images") or []
        if len(uploads) + self.existing_images > MAX_IMAGES_PER_VERSION:
            self.add_error("images", _("A goods item has at most %(n)d pictures; it has %(has)d and you chose "
                                       "%(new)d.") % {"n": MAX_IMAGES_PER_VERSION, "has": self.existing_images,
                                                      "new": len(uploads)})
        for upload in uploads:
            try:
                check_image(upload)
            except ApplicationError as exc:
                self.add_error("images", f"{upload.name}: {exc.message}")
        return data

    def goods_data(self) -> dict:
        """The input the goods services take (everything but the pictures)."""
        return {name: self.cleaned_data.get(name) for name in INPUT_FIELDS}


class GoodsFilterForm(forms.Form):
    """Search and filters of the goods list."""

    q = forms.CharField(label=_("SKU, name or record number"), max_length=100, required=False)
    hs_code = forms.RegexField(label=_("HS code"), regex=r"^[0-9]{1,10}$", max_length=10, required=False,
                               error_messages={"invalid": _("Give up to 10 digits of an HS code.")})
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("All statuses")), *GoodsItem.Status.choices])
    mode = forms.ChoiceField(label=LABELS["modes"], required=False,
                             choices=[("", _("All modes")), *CustomsMode.choices])

    def filters(self) -> dict:
        """The selector's filters from the valid fields (an invalid one is left out)."""
        if not self.is_bound:
            return {}
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {key: data[key] for key in ("q", "hs_code", "status", "mode")
                if data.get(key) and key not in self.errors}


class GoodsImportForm(forms.Form):
    """An Excel workbook of goods and what to do with rows that have errors."""

    file = forms.FileField(label=_("Excel workbook (.xlsx)"),
                           help_text=_("Fill in the template; at most 10 MB."),
                           widget=forms.ClearableFileInput(attrs={"accept": f".xlsx,{XLSX_CONTENT_TYPE}"}))
    mode = forms.ChoiceField(label=_("When some rows have errors"), choices=IMPORT_MODE_CHOICES,
                             initial="all_or_nothing", widget=forms.RadioSelect)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_SIZE:
            raise forms.ValidationError(_("The file is larger than 10 MB."))
        return upload
