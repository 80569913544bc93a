"""Back office of the code tables: browse, edit (with change permission) and import CSV files.

Every table has an "Import CSV" page for holders of ``codes.import_codes``: the upload is read in
memory (never written to disk, at most ``MAX_IMPORT_BYTES``), validated and upserted by
``services.codes_table_import``, which shows per-row errors or the counts and audits the import.
"""

from __future__ import annotations

import io

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.db.models.functions import Left
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt

from . import selectors, services
from .models import (
    Country,
    Currency,
    CustomsDistrict,
    Division,
    Hs6,
    HsChapter,
    HsCode,
    HsRate,
    TradeMode,
    TransportMode,
    Unit,
    WrapType,
)

IMPORT_PERMISSION = "codes.import_codes"
MAX_ERRORS_SHOWN = 500
HS_SAMPLE_NOTICE = _(
    "The 10-digit HS table shipped with the platform is a curated sample, not the official tariff "
    "(《进出口税则》). Its first six digits are checked against HS 2022; import the official tariff "
    "and refund-rate tables before relying on codes or rates."
)


# --- upload -----------------------------------------------------------------------------------


class InMemoryImportUploadHandler(FileUploadHandler):
    """Keeps an uploaded file in memory up to ``MAX_IMPORT_BYTES``; a larger file is skipped
    (the view then says so), so an import file never reaches the disk."""

    def __init__(self, request=None, limit: int | None = None):
        super().__init__(request)
        self.limit = services.MAX_IMPORT_BYTES if limit is None else limit
        self.buffer = io.BytesIO()

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.buffer = io.BytesIO()

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > self.limit:
            self.request.codes_upload_too_large = True
            raise SkipFile
        self.buffer.write(raw_data)
        return None

    def file_complete(self, file_size):
        self.buffer.seek(0)
        return InMemoryUploadedFile(
            file=self.buffer, field_name=self.field_name, name=self.file_name,
            content_type=self.content_type, size=file_size, charset=self.charset,
            content_type_extra=self.content_type_extra,
        )


class CodeImportForm(forms.Form):
    file = forms.FileField(label=_("CSV file"),
                           help_text=_("UTF-8 (or GB18030) CSV with a header row in the table's format."))


# --- list filters -----------------------------------------------------------------------------


class UnverifiedFilter(admin.SimpleListFilter):
    """Rows whose provenance notes flag them as unverified (kept flagged from the source data)."""

    title = _("verification")
    parameter_name = "unverified"

    def lookups(self, request, model_admin):
        return [("yes", _("flagged UNVERIFIED")), ("notes", _("with notes"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(notes__icontains="unverified")
        if self.value() == "notes":
            return queryset.exclude(notes="")
        return queryset


class CountryRegionFilter(admin.SimpleListFilter):
    """The first digit of a customs country code is its continent (199 = other Asia, …)."""

    title = _("continent")
    parameter_name = "continent"

    def lookups(self, request, model_admin):
        return [("1", _("Asia")), ("2", _("Africa")), ("3", _("Europe")), ("4", _("Latin America")),
                ("5", _("North America")), ("6", _("Oceania")), ("7", _("other"))]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "7":
            return queryset.filter(customs_code__regex=r"^[7-9]")
        if value:
            return queryset.filter(customs_code__startswith=value)
        return queryset


class ProvinceFilter(admin.SimpleListFilter):
    """Divisions of one province (the first two digits of the code)."""

    title = _("province")
    parameter_name = "province"

    def lookups(self, request, model_admin):
        return [(d.code[:2], d.name_zh) for d in selectors.division_provinces()]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(code__startswith=self.value())
        return queryset


class HsChapterListFilter(admin.SimpleListFilter):
    """The chapters that have 10-digit codes."""

    title = _("chapter")
    parameter_name = "chapter"

    def lookups(self, request, model_admin):
        present = set(HsCode.objects.annotate(ch=Left("hs_code", 2)).values_list("ch", flat=True).distinct())
        return [(c.chapter, f"{c.chapter} {c.name_zh or c.name_en}"[:60])
                for c in HsChapter.objects.filter(chapter__in=present)]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(hs_code__startswith=self.value())
        return queryset


class VatRateFilter(admin.SimpleListFilter):
    """The import VAT rate in force today."""

    title = _("VAT rate in force")
    parameter_name = "vat_rate"

    def lookups(self, request, model_admin):
        rates = HsRate.objects.values_list("vat_rate", flat=True).distinct().order_by("vat_rate")
        return [(str(r), _percent(r)) for r in rates]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(rate_vat_rate=self.value())
        return queryset


# --- base admin -------------------------------------------------------------------------------


class CodeAdmin(admin.ModelAdmin):
    """A code table in the back office: the natural key is fixed once created, edits are audited
    through ``services.codes_row_save``, and holders of ``codes.import_codes`` may import CSV."""

    change_list_template = "admin/codes/change_list.html"
    key_fields: tuple[str, ...] = ("code",)
    list_per_page = 100
    notice = None

    @property
    def import_spec(self) -> services.Table | None:
        return services.table_for_model(self.model)

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            readonly += [f for f in self.key_fields if f not in readonly]
        return readonly

    def save_model(self, request, obj, form, change):
        services.codes_row_save(instance=obj, actor=request.user)

    def has_delete_permission(self, request, obj=None):
        return False  # codes are withdrawn (is_active), never deleted: old documents refer to them

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        protected = self.admin_site.admin_view(self.import_view)

        @csrf_exempt  # the CSRF check runs inside admin_view, after the in-memory handler is set
        def import_entry(request, *args, **kwargs):
            request.upload_handlers = [InMemoryImportUploadHandler(request)]
            return protected(request, *args, **kwargs)

        urls = [path("import/", import_entry, name=f"{info[0]}_{info[1]}_import")] if self.import_spec else []
        return urls + super().get_urls()

    def changelist_view(self, request, extra_context=None):
        context = {
            "codes_notice": self.notice,
            "codes_can_import": bool(self.import_spec) and request.user.has_perm(IMPORT_PERMISSION),
            "codes_import_url": reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_import")
            if self.import_spec else None,
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context=context)

    def import_view(self, request):
        """Upload a CSV file in the table's format; show the per-row errors or the counts."""
        if not request.user.has_perm(IMPORT_PERMISSION):
            raise PermissionDenied
        spec = self.import_spec
        result = None
        form = CodeImportForm(request.POST, request.FILES) if request.method == "POST" else CodeImportForm()
        if request.method == "POST":
            valid = form.is_valid()
            if getattr(request, "codes_upload_too_large", False):
                form.errors["file"] = form.error_class([
                    gettext("The file is larger than %(mb)d MB.")
                    % {"mb": services.MAX_IMPORT_BYTES // (1024 * 1024)}
                ])
            elif valid:
                upload = form.cleaned_data["file"]
                result = services.codes_table_import(
                    table=spec.name, content=upload.read(), actor=request.user, source_name=upload.name,
                )
                if result.ok:
                    self.message_user(request, _import_summary(result), messages.SUCCESS)
                    changelist = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")
                    return HttpResponseRedirect(changelist)
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Import %(table)s") % {"table": self.opts.verbose_name_plural},
            "opts": self.opts,
            "form": form,
            "spec": spec,
            "columns": [(c.name, c.required, c.blank) for c in spec.columns],
            "result": result,
            "errors": result.errors[:MAX_ERRORS_SHOWN] if result else [],
            "errors_hidden": max(0, len(result.errors) - MAX_ERRORS_SHOWN) if result else 0,
            "max_mb": services.MAX_IMPORT_BYTES // (1024 * 1024),
            "notice": self.notice,
        }
        return TemplateResponse(request, "admin/codes/import.html", context, status=400 if result else 200)


def _import_summary(result: services.ImportResult) -> str:
    parts = []
    for model, counts in result.counts.items():
        parts.append(gettext("%(model)s: %(created)d created, %(updated)d updated, %(unchanged)d unchanged")
                     % {"model": model, **counts.as_dict()})
    return gettext("Imported %(rows)d rows. ") % {"rows": result.rows} + "; ".join(parts)


# --- the tables -------------------------------------------------------------------------------


@admin.register(TradeMode)
class TradeModeAdmin(CodeAdmin):
    list_display = ["code", "name_zh", "name_en", "direction", "is_active"]
    list_filter = ["direction", "is_active"]
    search_fields = ["code", "name_zh", "name_en"]


@admin.register(Country)
class CountryAdmin(CodeAdmin):
    key_fields = ("customs_code",)
    list_display = ["customs_code", "name_zh", "name_en", "iso_alpha2", "iso_alpha3", "is_active", "notes"]
    list_filter = [CountryRegionFilter, "is_active", UnverifiedFilter]
    search_fields = ["customs_code", "name_zh", "name_en", "iso_alpha2", "iso_alpha3"]


@admin.register(Currency)
class CurrencyAdmin(CodeAdmin):
    key_fields = ("customs_code",)
    list_display = ["customs_code", "iso_code", "name_zh", "name_en", "iso_status", "sources", "is_active",
                    "notes"]
    list_filter = ["iso_status", "is_active", UnverifiedFilter]
    search_fields = ["customs_code", "iso_code", "name_zh", "name_en"]


@admin.register(Unit)
class UnitAdmin(CodeAdmin):
    list_display = ["code", "name_zh", "sources", "is_active", "notes"]
    list_filter = ["is_active", UnverifiedFilter]
    search_fields = ["code", "name_zh"]


@admin.register(TransportMode)
class TransportModeAdmin(CodeAdmin):
    list_display = ["code", "name_zh", "name_zh_legacy", "is_active", "notes"]
    list_filter = ["is_active", UnverifiedFilter]
    search_fields = ["code", "name_zh", "name_zh_legacy"]


@admin.register(WrapType)
class WrapTypeAdmin(CodeAdmin):
    list_display = ["code", "name_zh", "is_active", "notes"]
    list_filter = ["is_active"]
    search_fields = ["code", "name_zh"]


@admin.register(CustomsDistrict)
class CustomsDistrictAdmin(CodeAdmin):
    list_display = ["code", "name_zh", "level", "parent", "verified", "is_active"]
    list_filter = ["level", "verified", "is_active"]
    search_fields = ["code", "name_zh"]
    list_select_related = ["parent"]
    autocomplete_fields = ["parent"]


@admin.register(Division)
class DivisionAdmin(CodeAdmin):
    key_fields = ("code", "valid_from", "valid_to")
    list_display = ["code", "name_zh", "level", "parent_code", "valid_from", "valid_to", "is_current"]
    list_filter = ["level", "is_current", ProvinceFilter]
    search_fields = ["code", "name_zh"]


@admin.register(HsChapter)
class HsChapterAdmin(CodeAdmin):
    key_fields = ("chapter",)
    list_display = ["chapter", "section", "name_zh", "name_en"]
    list_filter = ["section"]
    search_fields = ["chapter", "name_zh", "name_en"]


@admin.register(Hs6)
class Hs6Admin(CodeAdmin):
    key_fields = ("hs6",)
    list_display = ["hs6", "heading", "chapter", "description_en"]
    list_filter = ["section"]
    search_fields = ["^hs6", "description_en"]


class HsRateInline(admin.TabularInline):
    model = HsRate
    extra = 0
    fields = ["vat_rate", "consumption_tax_rate", "consumption_tax_specific", "consumption_tax_specific_unit",
              "export_refund_rate", "effective_from", "effective_to", "source", "notes"]
    autocomplete_fields = ["consumption_tax_specific_unit"]

    def has_delete_permission(self, request, obj=None):
        return False


class HsCodeForm(forms.ModelForm):
    """The six-digit subheading is taken from the code itself and must exist in HS 2022."""

    class Meta:
        model = HsCode
        fields = ["hs_code", "name_zh", "legal_unit_1", "legal_unit_2", "positive_list", "source", "notes",
                  "is_active"]

    def clean(self):
        cleaned = super().clean()
        code = cleaned.get("hs_code") or self.instance.hs_code
        if code:
            if not code.isdigit() or len(code) != 10:
                self.add_error("hs_code" if "hs_code" in self.fields else None,
                               gettext("An HS code has exactly 10 digits."))
            elif not selectors.hs6_exists(code[:6]):
                self.add_error("hs_code" if "hs_code" in self.fields else None,
                               gettext("The first six digits %(hs6)s are not an HS 2022 subheading.")
                               % {"hs6": code[:6]})
            else:
                self.instance.hs6_id = code[:6]
        return cleaned


@admin.register(HsCode)
class HsCodeAdmin(CodeAdmin):
    form = HsCodeForm
    key_fields = ("hs_code",)
    notice = HS_SAMPLE_NOTICE
    change_form_template = "admin/codes/hscode/change_form.html"
    list_display = ["hs_code", "name_zh", "legal_unit_1", "legal_unit_2", "vat_rate_now",
                    "consumption_tax_rate_now", "export_refund_rate_now", "positive_list", "is_active"]
    list_filter = [HsChapterListFilter, "positive_list", VatRateFilter, "is_active"]
    search_fields = ["^hs_code", "name_zh"]
    autocomplete_fields = ["legal_unit_1", "legal_unit_2"]
    inlines = [HsRateInline]

    def get_queryset(self, request):
        return selectors.hs_code_list(on=timezone.localdate())

    @admin.display(description=_("VAT"), ordering="rate_vat_rate")
    def vat_rate_now(self, obj):
        return _percent(obj.rate_vat_rate)

    @admin.display(description=_("consumption tax"), ordering="rate_consumption_tax_rate")
    def consumption_tax_rate_now(self, obj):
        text = _percent(obj.rate_consumption_tax_rate)
        if obj.rate_consumption_tax_specific:
            text += f" + {obj.rate_consumption_tax_specific:g}/{obj.rate_consumption_tax_specific_unit_id}"
        return text

    @admin.display(description=_("export refund"), ordering="rate_export_refund_rate")
    def export_refund_rate_now(self, obj):
        return _percent(obj.rate_export_refund_rate)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        return super().changeform_view(request, object_id, form_url,
                                       {"codes_notice": self.notice, **(extra_context or {})})

    def save_formset(self, request, form, formset, change):
        for instance in formset.save(commit=False):
            services.codes_row_save(instance=instance, actor=request.user)
        formset.save_m2m()


@admin.register(HsRate)
class HsRateAdmin(CodeAdmin):
    key_fields = ("hs_code", "effective_from")
    notice = HS_SAMPLE_NOTICE
    list_display = ["hs_code", "vat_rate", "consumption_tax_rate", "consumption_tax_specific",
                    "export_refund_rate", "effective_from", "effective_to"]
    list_filter = ["vat_rate", "export_refund_rate", "effective_from"]
    search_fields = ["^hs_code__hs_code", "hs_code__name_zh"]
    autocomplete_fields = ["hs_code", "consumption_tax_specific_unit"]
    date_hierarchy = "effective_from"


def _percent(value) -> str:
    return "–" if value is None else f"{(value * 100).normalize():f} %"
