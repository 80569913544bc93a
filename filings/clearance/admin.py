"""The customs back office of clearance: inventory lists by state with their quota and tax, the
release decision (release, hold for inspection, reject) through ``list_release_decide`` — audited —,
the tax bills, the buyers' annual quotas (found by ID number through the blind index), and the dated
retail-import policy and return windows, edited through an audited service."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.http import HttpResponseRedirect
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from stdnum.cn import ric

from filings.hub.spec import DocType
from zone_portal.core import crypto
from zone_portal.core.errors import ApplicationError

from . import services
from .models import (
    InventoryList,
    ListStateChange,
    QuotaLedger,
    RetailImportPolicy,
    ReturnWindow,
    TaxBill,
    TaxBillLine,
)
from .policy import policy_row_save
from .services import Decision


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ListStateChangeInline(ReadOnlyInline):
    model = ListStateChange
    fk_name = "declaration"
    fields = ("created_at", "from_state", "to_state", "return_status", "code", "reason", "actor_label")
    readonly_fields = fields
    ordering = ("id",)


class ReasonActionForm(helpers.ActionForm):
    reason = forms.CharField(label=_("reason (hold, reject)"), required=False, max_length=1000)


class ListDecisionForm(forms.ModelForm):
    """The officer's decision on one list; carried out by ``list_release_decide``, never by the form."""

    decision = forms.ChoiceField(label=_("decision"), required=False,
                                 choices=[("", "—"), *Decision.choices])
    reason = forms.CharField(label=_("reason"), required=False, max_length=1000, widget=forms.Textarea(
        attrs={"rows": 2}))

    class Meta:
        model = InventoryList
        fields: list[str] = []

    def _post_clean(self):
        """Leave the list alone: the service decides and writes."""

    def clean(self):
        data = super().clean()
        if data.get("decision") in (Decision.HOLD, Decision.REJECT) and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Give the reason for holding or rejecting the list."))
        return data


def _money(value) -> str:
    return "—" if value is None else f"{value:,.2f}"


@admin.register(InventoryList)
class InventoryListAdmin(admin.ModelAdmin):
    """Customs' queue of inventory lists: filter by state (held for inspection, under risk check …),
    see what each counts against its buyer's quota and its tax, and decide."""

    form = ListDecisionForm
    action_form = ReasonActionForm
    list_display = ("order_no", "invt_no", "ebc_code", "trade_mode", "list_state", "return_status", "quota_value",
                    "tax_total", "declared_at", "released_at")
    list_filter = ("list_state", "direction", "trade_mode", "declared_at")
    search_fields = ("=order_no", "=invt_no", "=logistics_no", "=cop_no", "=ebc_code")
    date_hierarchy = "declared_at"
    show_full_result_count = False
    actions = ["release_selected", "hold_selected", "reject_selected"]
    info_fields = ("kind", "direction", "organization", "order_no", "ebp_code", "ebc_code", "agent_code",
                   "logistics_code", "logistics_no", "cop_no", "invt_no", "trade_mode", "list_state", "return_status",
                   "declared_at", "released_at", "quota_summary", "tax_summary", "tax_lines")
    inlines = [ListStateChangeInline]

    def get_queryset(self, request):
        return (super().get_queryset(request).filter(doc_type=DocType.INVENTORY).exclude(list_state="")
                .select_related("organization", "quota_charge", "tax_bill"))

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_fields(self, request, obj=None):
        if obj is not None and self.has_change_permission(request, obj) and obj.list_state in (
                InventoryList.ListState.RISK_CHECK, InventoryList.ListState.HELD):
            return [*self.info_fields, "decision", "reason"]
        return list(self.info_fields)

    def get_readonly_fields(self, request, obj=None):
        return self.info_fields

    @admin.display(description=_("counted against the quota (CNY)"))
    def quota_value(self, obj):
        return _money(obj.quota_charge.counted) if _has(obj, "quota_charge") else "—"

    @admin.display(description=_("tax (CNY)"))
    def tax_total(self, obj):
        bill = obj.tax_bill if _has(obj, "tax_bill") else None
        return _money(bill.total) if bill else "—"

    @admin.display(description=_("annual quota"))
    def quota_summary(self, obj):
        if not _has(obj, "quota_charge"):
            return "—"
        c = obj.quota_charge
        return format_html(_("{year}: {amount} counted, {restored} given back ({status})"), year=c.year,
                           amount=_money(c.amount), restored=_money(c.restored), status=c.get_status_display())

    @admin.display(description=_("tax bill (电子税单)"))
    def tax_summary(self, obj):
        if not _has(obj, "tax_bill"):
            return "—"
        b = obj.tax_bill
        return format_html(_("{no} ({status}): value {value}; tariff {customs}, VAT {vat}, consumption tax {ct}; "
                             "total {total} at {factor} of the statutory tax; given back {refunded}"),
                           no=b.tax_no, status=b.get_status_display(), value=_money(b.tax_price),
                           customs=_money(b.customs_tax), vat=_money(b.value_added_tax), ct=_money(b.consumption_tax),
                           total=_money(b.total), factor=f"{b.tax_factor:.2%}", refunded=_money(b.refunded_total))

    @admin.display(description=_("tax bill lines"))
    def tax_lines(self, obj):
        if not _has(obj, "tax_bill"):
            return "—"
        rows = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", (
            (x.gnum, x.gcode, _money(x.tax_price), f"{x.vat_rate:.4f} / {x.consumption_tax_rate:.4f}",
             _money(x.value_added_tax), _money(x.consumption_tax)) for x in obj.tax_bill.lines.order_by("gnum")))
        return format_html("<table><thead><tr><th>gnum</th><th>gcode</th><th>taxPrice</th><th>{}</th><th>{}</th>"
                           "<th>{}</th></tr></thead><tbody>{}</tbody></table>", _("VAT / CT rate"), "valueAddedTax",
                           "consumptionTax", rows)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ApplicationError as exc:  # the admin's transaction was rolled back
            self.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(request.path)

    def save_model(self, request, obj, form, change):
        """Carry out the decision through ``list_release_decide`` (the form never saves the list)."""
        decision = form.cleaned_data.get("decision")
        if decision:
            self._report(request, services.list_release_decide(
                declaration_ids=[obj.pk], decision=decision, actor=request.user,
                reason=form.cleaned_data.get("reason", "")))

    def _report(self, request, result) -> None:
        if result.changed:
            self.message_user(request, _("%(n)d list(s) decided.") % {"n": len(result.changed)}, messages.SUCCESS)
        for pk, message in result.refused.items():
            self.message_user(request, _("List %(pk)s: %(message)s") % {"pk": pk, "message": message}, messages.ERROR)

    def _decide(self, request, queryset, decision) -> None:
        reason = request.POST.get("reason", "")
        try:
            result = services.list_release_decide(declaration_ids=list(queryset.values_list("pk", flat=True)),
                                                  decision=decision, actor=request.user, reason=reason)
        except ApplicationError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        self._report(request, result)

    @admin.action(description=_("Release the selected lists (放行)"), permissions=["change"])
    def release_selected(self, request, queryset):
        self._decide(request, queryset, Decision.RELEASE)

    @admin.action(description=_("Hold the selected lists for inspection (查验; give the reason)"),
                  permissions=["change"])
    def hold_selected(self, request, queryset):
        self._decide(request, queryset, Decision.HOLD)

    @admin.action(description=_("Reject the selected lists (退单; give the reason)"), permissions=["change"])
    def reject_selected(self, request, queryset):
        self._decide(request, queryset, Decision.REJECT)


def _has(obj, name: str) -> bool:
    try:
        return getattr(obj, name) is not None
    except Exception:  # the reverse one-to-one row does not exist
        return False


class TaxBillLineInline(ReadOnlyInline):
    model = TaxBillLine
    fields = ("gnum", "gcode", "gname", "qty", "tax_price", "vat_rate", "consumption_tax_rate",
              "consumption_tax_specific", "specific_qty", "rate_effective_from", "customs_tax", "value_added_tax",
              "consumption_tax", "returned_qty")
    readonly_fields = fields


@admin.register(TaxBill)
class TaxBillAdmin(admin.ModelAdmin):
    """Every tax bill (CEB816) the platform computed, read-only."""

    list_display = ("tax_no", "invt_no", "ebc_code", "tax_price", "customs_tax", "value_added_tax",
                    "consumption_tax", "status", "created_at")
    list_filter = ("status", "created_at")
    search_fields = ("=tax_no", "=invt_no", "=ebc_code", "=declaration__order_no")
    show_full_result_count = False
    inlines = [TaxBillLineInline]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in TaxBill._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(QuotaLedger)
class QuotaLedgerAdmin(admin.ModelAdmin):
    """The buyers' annual quotas. Search by resident ID number: it is turned into its blind index
    here and never stored or shown."""

    list_display = ("year", "buyer", "used_cny", "updated_at")
    list_display_links = None  # no links: they would carry the searched ID number in their query string
    list_filter = ("year",)
    search_fields = ("buyer_id_bidx",)
    search_help_text = _("Enter a resident ID number (18 characters).")
    show_full_result_count = False
    fields = ("year", "buyer", "used", "updated_at")
    readonly_fields = fields

    @admin.display(description=_("used (CNY)"), ordering="used")
    def used_cny(self, obj):
        return _money(obj.used)

    @admin.display(description=_("buyer (blind index)"))
    def buyer(self, obj):
        return f"{obj.buyer_id_bidx[:12]}…"

    def get_search_results(self, request, queryset, search_term):
        term = (search_term or "").strip().upper()
        if not term:
            return queryset, False
        if not ric.is_valid(term):
            return queryset.none(), False
        return queryset.filter(buyer_id_bidx=crypto.blind_index(term, "id_number")), False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class DatedRowAdmin(admin.ModelAdmin):
    """A dated reference row: changed through ``policy_row_save`` (audited), never deleted — a later
    rule is a new row from its first day."""

    def save_model(self, request, obj, form, change):
        policy_row_save(instance=obj, actor=request.user)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RetailImportPolicy)
class RetailImportPolicyAdmin(DatedRowAdmin):
    list_display = ("valid_from", "single_limit", "annual_limit", "tax_factor", "single_item_rule", "source")
    fields = ("valid_from", "single_limit", "annual_limit", "tax_factor", "single_item_rule", "source", "notes")


@admin.register(ReturnWindow)
class ReturnWindowAdmin(DatedRowAdmin):
    list_display = ("direction", "valid_from", "days", "source")
    list_filter = ("direction",)
    fields = ("direction", "valid_from", "days", "source", "notes")
