"""Back office for organizations, users (officers are created here) and API clients.

State changes go through ``services``; the admin only collects input and shows results.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import transaction
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from zone_portal.audit.services import audit_record, diff, snapshot
from zone_portal.core.errors import ApplicationError

from . import roles, scopes, selectors, services
from .models import ApiClient, Organization, User
from .validators import validate_customs_code, validate_mobile, validate_uscc


class OrganizationForm(forms.ModelForm):
    class Meta:
        model = Organization
        fields = ["kind", "name", "name_en", "uscc", "customs_code", "contact_name", "contact_mobile",
                  "contact_email", "is_active"]

    def clean_uscc(self):
        value = (self.cleaned_data.get("uscc") or "").strip().upper() or None
        if value:
            validate_uscc(value)
        return value

    def clean_customs_code(self):
        value = (self.cleaned_data.get("customs_code") or "").strip().upper()
        validate_customs_code(value)
        return value

    def clean_contact_mobile(self):
        value = (self.cleaned_data.get("contact_mobile") or "").strip()
        if value:
            validate_mobile(value)
        return value

    def clean(self):
        data = super().clean()
        if data.get("kind") == Organization.Kind.ENTERPRISE and not data.get("uscc"):
            self.add_error("uscc", _("An enterprise needs its unified social credit code."))
        return data


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    form = OrganizationForm
    list_display = ["name", "kind", "uscc", "customs_code", "is_active", "created_at"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "name_en", "uscc", "customs_code"]
    readonly_fields = ["created_at", "updated_at"]

    def get_queryset(self, request):
        return selectors.organization_list_for_user(user=request.user)

    @transaction.atomic
    def save_model(self, request, obj, form, change):
        before = snapshot(Organization.objects.get(pk=obj.pk)) if change else {}
        obj.save()
        audit_record(actor=request.user, action=f"accounts.organization.{'change' if change else 'create'}",
                     target=obj, organization_id=obj.pk, changes=diff(before, snapshot(obj)))

    def has_delete_permission(self, request, obj=None):
        return False  # organizations are deactivated, never deleted: their records refer to them


class OfficerCreationForm(forms.Form):
    """What a zone administrator gives to create a user: the role decides the organization kind."""

    organization = forms.ModelChoiceField(Organization.objects.filter(is_active=True), label=_("organization"))
    role = forms.ChoiceField(label=_("role"), choices=[(c, r.label) for c, r in roles.ROLES.items()])
    username = forms.CharField(label=_("user name"), max_length=150)
    full_name = forms.CharField(label=_("full name"), max_length=50)
    email = forms.EmailField(label=_("email"))
    mobile = forms.CharField(label=_("mobile"), max_length=11, required=False)

    def clean_mobile(self):
        value = self.cleaned_data.get("mobile", "").strip()
        if value:
            validate_mobile(value)
        return value


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "organization", "roles_display", "is_staff", "is_active", "last_login"]
    list_filter = ["organization__kind", "groups", "is_staff", "is_active"]
    search_fields = ["username", "email", "organization__name", "organization__uscc"]
    readonly_fields = ["last_login", "date_joined", "roles_display", "masked_mobile", "masked_name"]
    fieldsets = [
        (None, {"fields": ["username", "organization", "roles_display"]}),
        (_("Personal data (masked)"), {"fields": ["masked_name", "masked_mobile", "email"]}),
        (_("Status"), {"fields": ["is_active", "is_staff", "last_login", "date_joined"]}),
    ]
    actions = ["deactivate_users"]

    def get_queryset(self, request):
        return selectors.user_list_for_user(user=request.user)

    @admin.display(description=_("roles"))
    def roles_display(self, obj):
        return ", ".join(str(roles.ROLES[g].label) for g in obj.groups.values_list("name", flat=True)
                         if g in roles.ROLES)

    @admin.display(description=_("mobile"))
    def masked_mobile(self, obj):
        return User._meta.get_field("mobile").masked(obj.mobile)

    @admin.display(description=_("full name"))
    def masked_name(self, obj):
        return User._meta.get_field("full_name").masked(obj.full_name)

    def get_readonly_fields(self, request, obj=None):
        # Roles and the superuser flag change only through the role service (audited).
        return [*self.readonly_fields, "is_staff", "organization", "username"]

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise DjangoPermissionDenied
        form = OfficerCreationForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            d = form.cleaned_data
            try:
                user = services.user_create(
                    actor=request.user, organization=d["organization"], username=d["username"],
                    email=d["email"], full_name=d["full_name"], mobile=d["mobile"], role=d["role"],
                )
            except ApplicationError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
            else:
                messages.success(request, _("User %(u)s created. Send them to “forgot password” to set a "
                                            "password.") % {"u": user.username})
                from django.shortcuts import redirect

                return redirect("admin:accounts_user_change", user.pk)
        context = {**self.admin_site.each_context(request), "form": form, "opts": self.model._meta,
                   "title": _("Create a user")}
        return render(request, "admin/accounts/user/create.html", context)

    @admin.action(description=_("Deactivate the selected users"), permissions=["change"])
    def deactivate_users(self, request, queryset):
        with transaction.atomic():
            for user in queryset.filter(is_active=True):
                user.is_active = False
                user.save(update_fields=["is_active"])
                audit_record(actor=request.user, action="accounts.user.deactivate", target=user,
                             organization_id=user.organization_id, changes={"is_active": [True, False]})

    @transaction.atomic
    def save_model(self, request, obj, form, change):
        before = snapshot(User.objects.get(pk=obj.pk), ["email", "is_active"]) if change else {}
        obj.save()
        audit_record(actor=request.user, action="accounts.user.change", target=obj,
                     organization_id=obj.organization_id,
                     changes=diff(before, snapshot(obj, ["email", "is_active"])))

    def has_delete_permission(self, request, obj=None):
        return False  # users are deactivated: their audit trail refers to them


class ApiClientAddForm(forms.Form):
    organization = forms.ModelChoiceField(
        Organization.objects.filter(kind=Organization.Kind.ENTERPRISE, is_active=True), label=_("organization"))
    name = forms.CharField(label=_("name"), max_length=100)
    scopes = forms.MultipleChoiceField(label=_("scopes"), choices=scopes.scope_choices, required=False,
                                       widget=forms.CheckboxSelectMultiple)


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    list_display = ["name", "organization", "key_id", "status", "created_at", "last_used_at"]
    list_filter = ["status"]
    search_fields = ["name", "key_id", "organization__name", "organization__uscc"]
    readonly_fields = ["organization", "name", "key_id", "secret_fingerprint", "scopes", "status",
                       "created_by", "created_at", "rotated_at", "revoked_at", "last_used_at"]
    fields = readonly_fields
    actions = ["revoke_clients", "rotate_client"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("organization", "created_by")

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_revoke_permission(self, request):
        return request.user.has_perm("accounts.revoke_apiclient")

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise DjangoPermissionDenied
        form = ApiClientAddForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                client, secret = services.api_client_create(
                    actor=request.user, organization=form.cleaned_data["organization"],
                    name=form.cleaned_data["name"], scopes=form.cleaned_data["scopes"])
            except ApplicationError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
            else:
                return render(request, "admin/accounts/apiclient/secret.html",
                              {**self.admin_site.each_context(request), "client": client, "secret": secret,
                               "opts": self.model._meta, "title": _("API client created")})
        context = {**self.admin_site.each_context(request), "form": form, "opts": self.model._meta,
                   "title": _("Create an API client")}
        return render(request, "admin/accounts/user/create.html", context)

    @admin.action(description=_("Revoke the selected API clients"), permissions=["revoke"])
    def revoke_clients(self, request, queryset):
        for client in queryset:
            services.api_client_revoke(actor=request.user, client=client, reason="back office")
        self.message_user(request, _("Revoked."), messages.SUCCESS)

    @admin.action(description=_("Issue a new secret (one client)"), permissions=["revoke"])
    def rotate_client(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Select exactly one client to rotate."), messages.ERROR)
            return None
        client = queryset.get()
        try:
            secret = services.api_client_rotate(actor=request.user, client=client)
        except ApplicationError as exc:
            self.message_user(request, str(exc.message), messages.ERROR)
            return None
        client.refresh_from_db()
        return render(request, "admin/accounts/apiclient/secret.html",
                      {**self.admin_site.each_context(request), "client": client, "secret": secret,
                       "opts": self.model._meta, "title": _("New secret issued")})
