"""Back office of the reconciliation (三单比对) for customs: every result, filtered by status,
direction, failed rule and time, searched by order number or platform, and one result with its
documents side by side and each failed rule explained — read-only (results are the reconciler's
to write). The batches and the work queue are there for operations."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from filings.hub.rules import RULES

from . import selectors
from .models import ReconciliationBatch, ReconciliationResult, ReconciliationWork


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class FailedRuleFilter(admin.SimpleListFilter):
    title = _("failed rule")
    parameter_name = "code"

    def lookups(self, request, model_admin):
        return [(str(code), f"{code} {rule.zh.format(doc='', gnum='')}") for code, rule in sorted(
            RULES.items(), reverse=True) if -900600 < code <= -900500]

    def queryset(self, request, queryset):
        value = self.value()
        if value and value.lstrip("-").isdigit():
            return queryset.filter(codes__contains=[int(value)])
        return queryset


@admin.register(ReconciliationResult)
class ReconciliationResultAdmin(ReadOnlyAdmin):
    list_display = ("order_no", "direction", "ebp_code", "status", "codes", "missing", "since", "changed_at")
    list_filter = ("status", "direction", FailedRuleFilter, "changed_at")
    search_fields = ("=order_no", "=ebp_code")
    date_hierarchy = "changed_at"
    show_full_result_count = False
    ordering = ("-changed_at", "-id")
    fields = ("direction", "order_no", "ebp_code", "status", "codes", "missing", "since", "evaluations",
              "created_at", "reconciled_at", "changed_at")
    readonly_fields = fields
    change_form_template = "admin/reconciliation/reconciliationresult/change_form.html"

    def get_queryset(self, request):
        return selectors.results_for(request.user)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        context = dict(extra_context or {})
        if obj is not None:
            context["detail"] = selectors.result_detail(request.user, obj)
        return super().change_view(request, object_id, form_url, extra_context=context)


@admin.register(ReconciliationBatch)
class ReconciliationBatchAdmin(ReadOnlyAdmin):
    list_display = ("id", "source", "worker", "claimed_at", "finished_at", "keys", "results", "changed")
    list_filter = ("source", "claimed_at")
    search_fields = ("=token", "worker")
    show_full_result_count = False


@admin.register(ReconciliationWork)
class ReconciliationWorkAdmin(ReadOnlyAdmin):
    list_display = ("order_no", "direction", "enqueued_at", "claimed_by", "claimed_at")
    search_fields = ("=order_no",)
    show_full_result_count = False
