"""Enterprise pages of webhooks (事件推送): the endpoints, each one's delivery log, and the actions.

Every user of an enterprise sees its endpoints and delivery log; only its administrators
(``events.manage_webhooks``) create, edit, rotate, disable, re-enable and re-send (others get
403). Anyone who is not a user of the endpoint's enterprise gets 404. Views parse input, call one
selector or service, and turn domain errors into form errors or messages.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from zone_portal.core.errors import ApplicationError

from . import selectors, services
from .forms import DeliveryFilterForm, DisableForm, WebhookEndpointForm
from .models import WebhookDelivery
from .types import EVENT_TYPES

MANAGE = "events.manage_webhooks"


def _enterprise_user(request: HttpRequest):
    """The caller's enterprise; 404 for officers and anyone without the webhook pages."""
    user = request.user
    if not (getattr(user, "is_enterprise_user", False) and user.has_perm("events.view_webhookendpoint")):
        raise Http404
    return user.organization


def _require_manager(request: HttpRequest) -> None:
    if not request.user.has_perm(MANAGE):
        raise PermissionDenied


def _apply_error(form, exc: ApplicationError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))


def _secret_page(request: HttpRequest, endpoint, secret: str, *, created: bool) -> HttpResponse:
    # The secret is in this one response only: never in a redirect, a message or a log.
    return render(request, "events/webhook_secret.html", {"endpoint": endpoint, "secret": secret, "created": created})


@login_required
@never_cache
def webhook_list(request: HttpRequest) -> HttpResponse:
    """The enterprise's webhook endpoints."""
    organization = _enterprise_user(request)
    endpoints = selectors.webhook_endpoint_list_for_user(user=request.user)
    return render(request, "events/webhook_list.html", {
        "organization": organization, "endpoints": endpoints, "can_manage": request.user.has_perm(MANAGE),
    })


@login_required
@never_cache
def webhook_create(request: HttpRequest) -> HttpResponse:
    """Register an endpoint; the answer shows its secret, once."""
    organization = _enterprise_user(request)
    _require_manager(request)
    form = WebhookEndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint, secret = services.webhook_endpoint_create(
                actor=request.user, organization=organization, url=form.cleaned_data["url"],
                event_types=form.cleaned_data["event_types"], description=form.cleaned_data["description"])
        except ApplicationError as exc:
            _apply_error(form, exc)
        else:
            return _secret_page(request, endpoint, secret, created=True)
    return render(request, "events/webhook_form.html", {"form": form, "endpoint": None},
                  status=400 if form.errors else 200)


@login_required
@never_cache
def webhook_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One endpoint with its delivery log (filtered by status, newest event first)."""
    _enterprise_user(request)
    endpoint = selectors.webhook_endpoint_get_for_user(user=request.user, pk=pk)
    filters = DeliveryFilterForm(request.GET or None)
    status = filters.cleaned_data["status"] if filters.is_valid() else ""
    deliveries = selectors.webhook_delivery_list(endpoint=endpoint, status=status or None)
    page = Paginator(deliveries, 25).get_page(request.GET.get("page"))
    return render(request, "events/webhook_detail.html", {
        "endpoint": endpoint, "page": page, "filters": filters, "can_manage": request.user.has_perm(MANAGE),
        "type_labels": [(t, EVENT_TYPES.get(t, t)) for t in endpoint.event_types],
        "disable_form": DisableForm(), "resendable": {WebhookDelivery.Status.FAILED, WebhookDelivery.Status.SUCCEEDED},
    })


@login_required
@never_cache
def webhook_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change an endpoint's URL, description and event types (the secret stays)."""
    _enterprise_user(request)
    endpoint = selectors.webhook_endpoint_get_for_user(user=request.user, pk=pk)
    _require_manager(request)
    form = WebhookEndpointForm(request.POST or None, initial={
        "url": endpoint.url, "description": endpoint.description, "event_types": endpoint.event_types})
    if request.method == "POST" and form.is_valid():
        try:
            services.webhook_endpoint_update(actor=request.user, endpoint=endpoint, url=form.cleaned_data["url"],
                                             event_types=form.cleaned_data["event_types"],
                                             description=form.cleaned_data["description"])
        except ApplicationError as exc:
            _apply_error(form, exc)
        else:
            messages.success(request, _("The webhook endpoint was saved."))
            return redirect("events:webhook_detail", pk=endpoint.pk)
    return render(request, "events/webhook_form.html", {"form": form, "endpoint": endpoint},
                  status=400 if form.errors else 200)


@login_required
@require_POST
@never_cache
def webhook_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    """A new signing secret, shown once; the old one stops at once."""
    _enterprise_user(request)
    endpoint = selectors.webhook_endpoint_get_for_user(user=request.user, pk=pk)
    _require_manager(request)
    try:
        secret = services.webhook_endpoint_rotate_secret(actor=request.user, endpoint=endpoint)
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
        return redirect("events:webhook_detail", pk=endpoint.pk)
    endpoint.refresh_from_db()
    return _secret_page(request, endpoint, secret, created=False)


@login_required
@require_POST
def webhook_disable(request: HttpRequest, pk: int) -> HttpResponse:
    _enterprise_user(request)
    endpoint = selectors.webhook_endpoint_get_for_user(user=request.user, pk=pk)
    _require_manager(request)
    form = DisableForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.webhook_endpoint_disable(actor=request.user, endpoint=endpoint, reason=reason)
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("The endpoint is disabled. Events stay in the event feed."))
    return redirect("events:webhook_detail", pk=endpoint.pk)


@login_required
@require_POST
def webhook_enable(request: HttpRequest, pk: int) -> HttpResponse:
    _enterprise_user(request)
    endpoint = selectors.webhook_endpoint_get_for_user(user=request.user, pk=pk)
    _require_manager(request)
    try:
        services.webhook_endpoint_enable(actor=request.user, endpoint=endpoint)
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("The endpoint is enabled again; waiting deliveries are being sent."))
    return redirect("events:webhook_detail", pk=endpoint.pk)


@login_required
@require_POST
def delivery_resend(request: HttpRequest, pk: int) -> HttpResponse:
    """Send one delivery again now."""
    _enterprise_user(request)
    delivery = selectors.webhook_delivery_get_for_user(user=request.user, pk=pk)
    _require_manager(request)
    try:
        services.webhook_delivery_resend(actor=request.user, delivery=delivery)
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Event %(id)s is being sent again.") % {"id": delivery.event_id})
    return redirect("events:webhook_detail", pk=delivery.endpoint_id)
