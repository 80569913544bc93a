"""Enterprise pages of the accounts kernel: registration and API client management.

Views parse input, call one service or selector, and turn domain errors into form errors.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from zone_portal.core.errors import ApplicationError
from zone_portal.core.ratelimit import allow

from . import scopes as scope_registry
from . import selectors, services
from .forms import ApiClientForm, ApiClientRevokeForm, ApiClientScopesForm, RegistrationForm


def _apply_error(form, exc: ApplicationError) -> None:
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, str(exc.message))


@never_cache
def register(request: HttpRequest) -> HttpResponse:
    """Enterprise self-registration. No captcha: POSTs are rate-limited per client address."""
    if request.user.is_authenticated:
        return redirect("portal:dashboard")
    form = RegistrationForm(request.POST or None)
    if request.method == "POST":
        ip = request.META.get("REMOTE_ADDR", "unknown")
        if not allow("register", ip, settings.REGISTRATION_RATE_LIMIT):
            messages.error(request, _("Too many registrations from your network. Please try again later."))
            return render(request, "accounts/register.html", {"form": form}, status=429)
        if form.is_valid():
            d = form.cleaned_data
            try:
                user = services.enterprise_register(data=services.Registration(
                    organization_name=d["organization_name"], organization_name_en=d["organization_name_en"],
                    uscc=d["uscc"], contact_name=d["contact_name"], mobile=d["mobile"], email=d["email"],
                    username=d["username"], password=d["password1"],
                ))
            except ApplicationError as exc:
                _apply_error(form, exc)
            else:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                messages.success(request, _("Your enterprise is registered and you are its administrator."))
                return redirect("portal:dashboard")
    return render(request, "accounts/register.html", {"form": form})


def _manager_org(request):
    """The enterprise whose clients the caller manages (its own); 404 for everyone else."""
    user = request.user
    if not (user.has_perm("accounts.manage_api_clients") and user.is_enterprise_user):
        from django.http import Http404

        raise Http404
    return user.organization


@login_required
@never_cache
def api_client_list(request: HttpRequest) -> HttpResponse:
    org = _manager_org(request)
    qs = selectors.api_client_list_for_user(user=request.user).filter(organization=org)
    status = request.GET.get("status")
    if status in ("active", "revoked"):
        qs = qs.filter(status=status)
    page = Paginator(qs, 20).get_page(request.GET.get("page"))
    return render(request, "accounts/api_client_list.html",
                  {"page": page, "organization": org, "status": status or ""})


@login_required
@never_cache
def api_client_create(request: HttpRequest) -> HttpResponse:
    org = _manager_org(request)
    form = ApiClientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            client, secret = services.api_client_create(
                actor=request.user, organization=org, name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
            )
        except ApplicationError as exc:
            _apply_error(form, exc)
        else:
            # The secret is in this one response only: never stored, never in a redirect or a log.
            return render(request, "accounts/api_client_secret.html",
                          {"client": client, "secret": secret, "created": True})
    return render(request, "accounts/api_client_form.html", {"form": form})


@login_required
@never_cache
def api_client_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _manager_org(request)
    client = selectors.api_client_get_for_user(user=request.user, pk=pk)
    scopes_form = ApiClientScopesForm(request.POST or None, initial={"scopes": client.scopes})
    if request.method == "POST" and scopes_form.is_valid():
        try:
            services.api_client_update_scopes(actor=request.user, client=client,
                                              scopes=scopes_form.cleaned_data["scopes"])
        except ApplicationError as exc:
            _apply_error(scopes_form, exc)
        else:
            messages.success(request, _("Scopes saved."))
            return redirect("accounts:api_client_detail", pk=client.pk)
    labels = {code: label for code, label in scope_registry.SCOPES.items()}
    return render(request, "accounts/api_client_detail.html", {
        "client": client, "scopes_form": scopes_form, "revoke_form": ApiClientRevokeForm(),
        "scope_labels": [(s, labels.get(s, s)) for s in client.scopes],
    })


@login_required
@require_POST
@never_cache
def api_client_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    _manager_org(request)
    client = selectors.api_client_get_for_user(user=request.user, pk=pk)
    try:
        secret = services.api_client_rotate(actor=request.user, client=client)
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
        return redirect("accounts:api_client_detail", pk=client.pk)
    client.refresh_from_db()
    return render(request, "accounts/api_client_secret.html",
                  {"client": client, "secret": secret, "created": False})


@login_required
@require_POST
def api_client_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    _manager_org(request)
    client = selectors.api_client_get_for_user(user=request.user, pk=pk)
    form = ApiClientRevokeForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    services.api_client_revoke(actor=request.user, client=client, reason=reason)
    messages.success(request, _("The client is revoked; requests signed with its key are refused."))
    return redirect("accounts:api_client_detail", pk=client.pk)
