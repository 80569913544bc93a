"""Back office of information sharing: enterprise filings, each department's review queue, the
role-to-department matrix, and the customs goods queue. State changes go through ``services`` and
``goods``; the admin only collects input and shows results. Personal data is shown masked; a
change (变更) shows a side-by-side diff against the version in force (``diffs``)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from zone_portal.accounts.models import Organization
from zone_portal.core.errors import ApplicationError
from zone_portal.core.fields import masked

from . import goods, selectors, services
from .diffs import change_diff
from .goods_selectors import goods_list_for_user
from .hub import selectors as hub_selectors
from .models import (
    Declaration,
    DeclarationReceipt,
    DeclarationVersion,
    Department,
    DepartmentReview,
    EnterpriseFiling,
    EnterpriseFilingVersion,
    EnterpriseRole,
    FilingAttachment,
    GoodsImage,
    GoodsItem,
    GoodsVersion,
    ReviewRule,
)

PERSONAL_FIELDS = ("legal_representative", "contact_name", "contact_mobile", "bank_account")


def _field_label(name: str) -> str:
    return str(EnterpriseFilingVersion._meta.get_field(name).verbose_name)


def version_rows(version: EnterpriseFilingVersion):
    """(label, display value) of every field of ``version``, personal data masked."""
    rows = []
    for name in services.EDITABLE_FIELDS:
        if name in PERSONAL_FIELDS:
            value = masked(version, name)
        elif name == "roles":
            value = ", ".join(str(EnterpriseRole(r).label) for r in version.roles)
        elif name == "park":
            value = str(version.park) if version.park_id else ""
        else:
            value = getattr(version, name)
            if isinstance(value, bool):
                value = _("yes") if value else _("no")
        rows.append((_field_label(name), value))
    return rows


def version_table(version: EnterpriseFilingVersion | None):
    if version is None:
        return "—"
    return format_html("<table>{}</table>", format_html_join(
        "", "<tr><th>{}</th><td>{}</td></tr>", version_rows(version)))


class RoleFilter(admin.SimpleListFilter):
    title = _("role")
    parameter_name = "role"

    def lookups(self, request, model_admin):
        return EnterpriseRole.choices

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        path = "versions__roles__contains" if queryset.model is EnterpriseFiling else "version__roles__contains"
        return queryset.filter(**{path: [self.value()]}).distinct()


class ReadOnlyInline(admin.TabularInline):
    """An inline that shows rows without letting anyone add, change or delete them."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class FilingAttachmentInline(ReadOnlyInline):
    model = FilingAttachment
    fields = ["kind", "original_name", "content_type", "size", "created_at"]
    readonly_fields = fields


class VersionInline(admin.TabularInline):
    model = EnterpriseFilingVersion
    fields = ["number", "status", "roles", "submitted_at", "decided_at", "decisions"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    @admin.display(description=_("decisions"))
    def decisions(self, obj):
        return format_html_join(", ", "{}: {}", ((r.get_department_display(), r.get_decision_display())
                                                 for r in obj.reviews.all()))

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(EnterpriseFiling)
class EnterpriseFilingAdmin(admin.ModelAdmin):
    list_display = ["filing_no", "organization", "status", "submitted", "filed_at"]
    list_filter = ["status", RoleFilter, ("versions__park", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["organization__name", "organization__uscc", "filing_no"]
    fields = ["organization", "filing_no", "status", "filed_at", "revoked_at", "revoke_reason", "version_in_force"]
    readonly_fields = fields
    inlines = [VersionInline]

    def get_queryset(self, request):
        return selectors.enterprise_filing_list_for_user(user=request.user)

    @admin.display(description=_("submitted"))
    def submitted(self, obj):
        version = obj.versions.exclude(submitted_at=None).order_by("-number").first()
        return version.submitted_at if version else None

    @admin.display(description=_("version in force"))
    def version_in_force(self, obj):
        return version_table(obj.effective_version)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(EnterpriseFilingVersion)
class EnterpriseFilingVersionAdmin(admin.ModelAdmin):
    """A version's details with its attachments (reached from a filing or a review)."""

    list_display = ["__str__", "status", "submitted_at"]
    fields = ["filing", "number", "status", "submitted_at", "decided_at", "details"]
    readonly_fields = fields
    inlines = [FilingAttachmentInline]

    def get_model_perms(self, request):
        return {}  # reached through links only, not listed on the index

    def get_queryset(self, request):
        visible = selectors.enterprise_filing_list_for_user(user=request.user)
        return super().get_queryset(request).filter(filing__in=visible)

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("filings.view_enterprisefiling")

    @admin.display(description=_("application"))
    def details(self, obj):
        return version_table(obj)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        version = self.get_object(request, object_id)
        extra_context = {**(extra_context or {}), "version_diff": change_diff(version) if version else None}
        return super().change_view(request, object_id, form_url, extra_context)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReviewDecisionForm(forms.ModelForm):
    """The officer's decision; saved by ``enterprise_filing_decide``, never by the model form."""

    decision = forms.ChoiceField(label=_("decision"), choices=[
        (c, label) for c, label in DepartmentReview.Decision.choices if c != DepartmentReview.Decision.PENDING])
    fields_to_fix = forms.MultipleChoiceField(
        label=_("fields to fix"), required=False, widget=forms.CheckboxSelectMultiple,
        choices=[(name, _field_label(name)) for name in services.EDITABLE_FIELDS])

    class Meta:
        model = DepartmentReview
        fields = ["decision", "reason", "fields_to_fix"]

    def _post_clean(self):
        """Leave the instance alone: the service validates and writes the decision."""

    def clean(self):
        data = super().clean()
        decision = data.get("decision")
        if decision in (DepartmentReview.Decision.REJECTED, DepartmentReview.Decision.RETURNED) \
                and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Give the reason for your decision."))
        if decision == DepartmentReview.Decision.RETURNED and not data.get("fields_to_fix"):
            self.add_error("fields_to_fix", _("Name the fields the enterprise must correct."))
        return data


@admin.register(DepartmentReview)
class DepartmentReviewAdmin(admin.ModelAdmin):
    """An officer's review queue: the reviews of the officer's own department."""

    form = ReviewDecisionForm
    list_display = ["enterprise", "version_number", "roles", "submitted", "age", "decision"]
    list_filter = ["decision", "version__status", RoleFilter, ("version__park", admin.RelatedOnlyFieldListFilter),
                   "version__submitted_at"]
    search_fields = ["version__filing__organization__name", "version__uscc", "version__filing__filing_no"]
    actions = ["approve_selected"]
    info_fields = ["enterprise", "department", "version_number", "submitted", "age", "other_decisions",
                   "application", "attachments"]

    def get_queryset(self, request):
        qs = super().get_queryset(request).select_related("version", "version__filing__organization")
        user = request.user
        department = user.organization.kind if getattr(user, "organization_id", None) else None
        if department in Department.values:
            return qs.filter(department=department)
        if department == "zone_office" and user.has_perm("filings.view_enterprisefiling"):
            return qs
        return qs.none()

    def _may_decide(self, request, obj=None) -> bool:
        department = services.officer_review_department(request.user)
        return department is not None and (obj is None or obj.department == department)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return self._may_decide(request, obj)

    def get_fields(self, request, obj=None):
        if obj is not None and obj.decision == DepartmentReview.Decision.PENDING and self._may_decide(request, obj):
            return [*self.info_fields, "decision", "reason", "fields_to_fix"]
        return [*self.info_fields, "decision", "reason", "fields_to_fix", "decided_by", "decided_at"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.decision == DepartmentReview.Decision.PENDING and self._may_decide(request, obj):
            return self.info_fields
        return [*self.info_fields, "decision", "reason", "fields_to_fix", "decided_by", "decided_at"]

    @admin.display(description=_("enterprise"))
    def enterprise(self, obj):
        return obj.version.name

    @admin.display(description=_("version"))
    def version_number(self, obj):
        return obj.version.number

    @admin.display(description=_("roles"))
    def roles(self, obj):
        return ", ".join(str(EnterpriseRole(r).label) for r in obj.version.roles)

    @admin.display(description=_("submitted"), ordering="version__submitted_at")
    def submitted(self, obj):
        return obj.version.submitted_at

    @admin.display(description=_("age (working days)"))
    def age(self, obj):
        days = selectors.review_age_working_days(obj)
        if days is None:
            return "—"
        if selectors.review_is_overdue(obj):
            return format_html('<strong class="zp-overdue">{} ({})</strong>', days, _("overdue"))
        return days

    @admin.display(description=_("every department's decision"))
    def other_decisions(self, obj):
        return format_html_join("", "<div>{}: {} {}</div>", (
            (r.get_department_display(), r.get_decision_display(), r.reason) for r in obj.version.reviews.all()))

    @admin.display(description=_("application"))
    def application(self, obj):
        return version_table(obj.version)

    @admin.display(description=_("attachments"))
    def attachments(self, obj):
        return format_html_join(", ", "{} ({})", ((a.original_name, a.get_kind_display())
                                                  for a in obj.version.attachments.all())) or "—"

    def save_model(self, request, obj, form, change):
        """Record the decision through the service (the model form never saves the review)."""
        services.enterprise_filing_decide(actor=request.user, review=obj, decision=form.cleaned_data["decision"],
                                          reason=form.cleaned_data.get("reason", ""),
                                          fields_to_fix=form.cleaned_data.get("fields_to_fix") or ())

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ApplicationError as exc:  # the admin's transaction was rolled back
            self.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(request.path)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        review = self.get_object(request, object_id)
        extra_context = {**(extra_context or {}), "version_diff": change_diff(review.version) if review else None}
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.action(description=_("Approve the selected applications"), permissions=["change"])
    def approve_selected(self, request, queryset):
        approved = 0
        for review in queryset:
            try:
                services.enterprise_filing_decide(actor=request.user, review=review,
                                                  decision=DepartmentReview.Decision.APPROVED)
                approved += 1
            except ApplicationError as exc:
                self.message_user(request, f"{review.version.name}: {exc.message}", messages.ERROR)
        if approved:
            self.message_user(request, _("%(n)d applications approved.") % {"n": approved}, messages.SUCCESS)


@admin.register(ReviewRule)
class ReviewRuleAdmin(admin.ModelAdmin):
    """The role-to-department matrix, edited by the zone administrator; every change is audited."""

    list_display = ["trigger", "role", "department", "is_active"]
    list_filter = ["trigger", "department", "is_active"]
    list_editable = ["is_active"]

    def save_model(self, request, obj, form, change):
        services.reviewrule_save(actor=request.user, rule=obj)

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead, so the history stays readable


# --- goods filing (商品备案): the customs queue --------------------------------------------------

def is_customs_officer(user) -> bool:
    """Whether ``user`` is back-office staff of a customs organization (who alone decide goods)."""
    organization = getattr(user, "organization", None) if getattr(user, "organization_id", None) else None
    return bool(user.is_active and user.is_staff and organization is not None
                and organization.kind == Organization.Kind.CUSTOMS)


class HsChapterFilter(admin.SimpleListFilter):
    """The HS chapter (first two digits of the HS code) of a goods version, or of any version of
    an item."""

    title = _("HS chapter")
    parameter_name = "hs_chapter"

    def lookups(self, request, model_admin):
        chapters = (GoodsVersion.objects.order_by().values_list("hs_code_id", flat=True).distinct())
        return [(c, c) for c in sorted({code[:2] for code in chapters})]

    def queryset(self, request, queryset):
        chapter = self.value()
        if not chapter:
            return queryset
        if queryset.model is GoodsItem:
            return queryset.filter(versions__hs_code__hs_code__startswith=chapter).distinct()
        return queryset.filter(hs_code__hs_code__startswith=chapter)


class GoodsQueueStatusFilter(admin.SimpleListFilter):
    """Version status; the queue opens on the versions under review."""

    title = _("status")
    parameter_name = "status"
    default = GoodsVersion.Status.UNDER_REVIEW.value

    def lookups(self, request, model_admin):
        return [*GoodsVersion.Status.choices, ("all", _("All"))]

    def choices(self, changelist):
        current = self.value() or self.default
        for lookup, title in self.lookup_choices:
            yield {"selected": current == str(lookup), "display": title,
                   "query_string": changelist.get_query_string({self.parameter_name: lookup})}

    def queryset(self, request, queryset):
        value = self.value() or self.default
        return queryset if value == "all" else queryset.filter(status=value)


class GoodsVersionInline(admin.TabularInline):
    model = GoodsVersion
    fields = ["number", "status", "name", "hs_code", "submitted_at", "decided_at", "reason"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(GoodsItem)
class GoodsItemAdmin(admin.ModelAdmin):
    """Filed goods for customs officers, read-only; decisions are taken on the versions."""

    list_display = ["item_no", "organization", "record_no", "status", "filed_at"]
    list_filter = ["status", "effective_version__direction", HsChapterFilter]
    list_select_related = ["organization"]
    search_fields = ["item_no", "record_no", "organization__name", "organization__uscc",
                     "versions__hs_code__hs_code"]
    fields = ["organization", "item_no", "record_no", "trace_id", "status", "effective_version", "filed_at",
              "created_at", "updated_at"]
    readonly_fields = fields
    inlines = [GoodsVersionInline]

    def get_queryset(self, request):
        return goods_list_for_user(user=request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class GoodsImageInline(ReadOnlyInline):
    model = GoodsImage
    fields = ["position", "content_type", "size", "created_at"]
    readonly_fields = fields


class GoodsDecisionForm(forms.ModelForm):
    """A customs officer's decision on a goods version; saved by ``goods_decide``, never by the
    model form."""

    APPROVE, REJECT = "approve", "reject"
    decision = forms.ChoiceField(label=_("decision"), choices=[(APPROVE, _("approve")), (REJECT, _("reject"))])

    class Meta:
        model = GoodsVersion
        fields = ["decision", "reason"]

    def _post_clean(self):
        """Leave the instance alone: the service validates and writes the decision."""

    def clean(self):
        data = super().clean()
        if data.get("decision") == self.REJECT and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Give the reason for the rejection."))
        return data


@admin.register(GoodsVersion)
class GoodsVersionAdmin(admin.ModelAdmin):
    """The customs goods review queue: versions under review (by default), bulk approval, and
    approval or rejection with a reason on the version's page."""

    form = GoodsDecisionForm
    list_display = ["enterprise", "sku", "name", "hs", "positive_list", "submitted_at", "number", "status"]
    list_filter = [GoodsQueueStatusFilter, "direction", HsChapterFilter, "positive_list", "submitted_at"]
    list_select_related = ["item__organization", "hs_code"]
    search_fields = ["item__item_no", "item__record_no", "item__organization__name", "item__organization__uscc",
                     "hs_code__hs_code", "name"]
    ordering = ["submitted_at", "pk"]
    actions = ["approve_selected"]
    inlines = [GoodsImageInline]
    info_fields = ["enterprise", "sku", "record_no", "number", "status", "name", "name_en", "hs",
                   "declaration_elements", "brand", "model_spec", "ingredients", "usage", "origin_country",
                   "legal_unit_1", "legal_unit_2", "declared_unit", "unit_price", "currency", "barcode",
                   "manufacturer", "modes", "direction", "positive_list", "submitted_at"]
    decision_fields = ["decision", "reason"]
    history_fields = ["reason", "decided_by", "decided_at"]

    def get_queryset(self, request):
        visible = goods_list_for_user(user=request.user).order_by().values("pk")
        return super().get_queryset(request).filter(item__in=visible)

    def _may_decide(self, request, obj=None) -> bool:
        if not (is_customs_officer(request.user) and request.user.has_perm("filings.change_goodsversion")):
            return False
        return obj is None or obj.status == GoodsVersion.Status.UNDER_REVIEW

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return self._may_decide(request, obj)

    def get_fields(self, request, obj=None):
        if obj is not None and self._may_decide(request, obj):
            return [*self.info_fields, *self.decision_fields]
        return [*self.info_fields, *self.history_fields]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and self._may_decide(request, obj):
            return self.info_fields
        return [*self.info_fields, *self.history_fields]

    @admin.display(description=_("enterprise"), ordering="item__organization__name")
    def enterprise(self, obj):
        return obj.item.organization.name

    @admin.display(description=_("SKU"), ordering="item__item_no")
    def sku(self, obj):
        return obj.item.item_no

    @admin.display(description=_("goods record number"))
    def record_no(self, obj):
        return obj.item.record_no or "—"

    @admin.display(description=_("HS code"), ordering="hs_code_id")
    def hs(self, obj):
        return format_html("{} {}", obj.hs_code_id, obj.hs_code.name_zh)

    def save_model(self, request, obj, form, change):
        """Record the decision through ``goods_decide`` (the model form never saves the version)."""
        goods.goods_decide(actor=request.user, version=obj,
                           approve=form.cleaned_data["decision"] == GoodsDecisionForm.APPROVE,
                           reason=form.cleaned_data.get("reason", ""))

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ApplicationError as exc:  # the admin's transaction was rolled back
            self.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(request.path)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        version = self.get_object(request, object_id)
        extra_context = {**(extra_context or {}), "version_diff": change_diff(version) if version else None}
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.action(description=_("Approve the selected goods"), permissions=["change"])
    def approve_selected(self, request, queryset):
        results = goods.goods_bulk_approve(actor=request.user,
                                           versions=list(queryset.select_related("item").order_by("pk")))
        approved = sum(1 for r in results if r.ok)
        for result in results:
            if not result.ok:
                self.message_user(request, _("%(sku)s: %(message)s (%(code)s)") % {
                    "sku": result.item_no, "message": result.message, "code": result.code}, messages.ERROR)
        if approved:
            self.message_user(request, _("%(n)d goods approved.") % {"n": approved}, messages.SUCCESS)


# --- declaration hub (customs back office: search, document, versions, receipts) -----------------

class DeclarationVersionInline(ReadOnlyInline):
    model = DeclarationVersion
    fields = ("number", "guid", "app_type", "app_status", "source", "received_at", "content", "signed")
    readonly_fields = fields
    ordering = ("number",)

    @admin.display(description=_("content (personal fields masked)"))
    def content(self, obj):
        data = hub_selectors.version_content(obj)
        head = ", ".join(f"{k}={v}" for k, v in data["head"].items())
        lines = "; ".join(", ".join(f"{k}={v}" for k, v in line.items()) for line in data["lines"])
        return format_html("<div class=\"small\">{}</div><div class=\"small text-body-secondary\">{}</div>",
                           head, lines)

    @admin.display(boolean=True, description=_("signed"))
    def signed(self, obj):
        return bool(obj.signature)


class DeclarationReceiptInline(ReadOnlyInline):
    model = DeclarationReceipt
    fk_name = "declaration"
    fields = ("return_time", "return_status", "return_info", "guid")
    readonly_fields = fields
    ordering = ("id",)


@admin.register(Declaration)
class DeclarationAdmin(admin.ModelAdmin):
    """Customs look up any declared document by orderNo, logisticsNo, invtNo, copNo or guid."""

    list_display = ("kind", "doc_type", "order_no", "logistics_no", "invt_no", "ebp_code", "ebc_code", "trade_mode",
                    "amount", "version", "return_status", "declared_at")
    list_filter = ("direction", "kind", "doc_type", "trade_mode", "deleted", "declared_at")
    search_fields = ("=order_no", "=logistics_no", "=invt_no", "=cop_no", "=guid", "=ebp_code", "=ebc_code")
    date_hierarchy = "declared_at"
    show_full_result_count = False
    list_select_related = ("organization",)
    readonly_fields = ("kind", "direction", "doc_type", "organization", "business_key", "guid", "version",
                       "app_type", "app_status", "deleted", "order_no", "ebp_code", "ebc_code", "pay_code",
                       "logistics_code", "agent_code", "logistics_no", "invt_no", "cop_no", "trade_mode", "amount",
                       "currency", "return_status", "declared_at", "updated_at")
    exclude = ("buyer_id_bidx", "buyer_name_bidx", "consignee_bidx", "parties")
    inlines = [DeclarationVersionInline, DeclarationReceiptInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(DeclarationReceipt)
class DeclarationReceiptAdmin(admin.ModelAdmin):
    """Every receipt, also of documents that were refused and never stored."""

    list_display = ("return_time", "kind", "guid", "organization", "return_status", "return_info")
    list_filter = ("kind", "return_status")
    search_fields = ("=guid",)
    list_select_related = ("organization",)
    show_full_result_count = False
    readonly_fields = ("declaration", "version", "organization", "kind", "guid", "keys", "return_status",
                       "return_time", "return_info", "problems")
    exclude = ("txid",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
