"""The audit log in the back office: filterable, and read-only for everyone, superusers included."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from zone_portal.accounts import roles

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "actor", "organization", "action", "target_repr", "request_id",
                    "ip_address"]
    list_filter = ["action", ("created_at", admin.DateFieldListFilter), "organization__kind"]
    search_fields = ["actor_label", "action", "target_repr", "target_id", "request_id", "organization__name"]
    date_hierarchy = "created_at"
    list_select_related = ["organization"]
    readonly_fields = [f.name for f in AuditEvent._meta.fields]

    @admin.display(description=_("actor"), ordering="actor_label")
    def actor(self, obj):
        return obj.actor_display

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        user = request.user
        role = roles.role_of(user)
        if user.is_superuser or (role and role.code == roles.ZONE_ADMIN):
            return qs
        # Department officers see the events of their own department and of enterprises.
        return qs.filter(organization_id=user.organization_id) | qs.filter(organization__kind="enterprise")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
