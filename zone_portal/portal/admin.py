"""Back office for the zone's parks (园区): the zone administrator keeps the list."""

from django.contrib import admin
from django.db import transaction

from zone_portal.audit.services import audit_record, diff, snapshot

from .models import Park


@admin.register(Park)
class ParkAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "division_code", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name", "name_en", "address"]

    @transaction.atomic
    def save_model(self, request, obj, form, change):
        before = snapshot(Park.objects.get(pk=obj.pk)) if change else {}
        obj.save()
        audit_record(actor=request.user, action=f"portal.park.{'change' if change else 'create'}", target=obj,
                     changes=diff(before, snapshot(obj)))

    def has_delete_permission(self, request, obj=None):
        return False  # filings refer to parks: deactivate instead
