"""Enterprise pages of enterprise filing (企业备案): the filing overview, the application form,
attachments and the enterprise's notifications.

Views parse input, call one selector or service, and turn domain errors into form errors or
messages. Only users of an enterprise reach these pages; anyone else gets 404, and an attachment
is served only to users the filing selectors let see its filing.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from zone_portal.accounts import roles
from zone_portal.accounts.models import Notification, Organization
from zone_portal.core.errors import ApplicationError
from zone_portal.core.fields import masked
from zone_portal.portal.registry import QueueFill, QueueItem

from . import selectors, services
from .attachments import filing_attachment_upload
from .forms import EnterpriseFilingForm, RevokeForm, clean_field_name
from .models import DepartmentReview, EnterpriseFiling, EnterpriseFilingVersion, EnterpriseRole, FilingAttachment

MASKED_FIELDS = ("legal_representative", "contact_name", "contact_mobile", "bank_account")
EDITABLE_VERSION_STATUSES = (EnterpriseFilingVersion.Status.DRAFT, EnterpriseFilingVersion.Status.RETURNED)


# --- helpers ------------------------------------------------------------------------------------

def _enterprise_user(request: HttpRequest) -> Organization:
    """The caller's enterprise; 404 for officers and users without an enterprise."""
    user = request.user
    if not (user.is_authenticated and user.organization_id
            and user.organization.kind == Organization.Kind.ENTERPRISE):
        raise Http404
    return user.organization


def _is_admin(user) -> bool:
    role = roles.role_of(user)
    return role is not None and role.code == roles.ENTERPRISE_ADMIN


def _own_filing(user) -> EnterpriseFiling | None:
    return selectors.enterprise_filing_list_for_user(user=user).filter(organization_id=user.organization_id).first()


def _open_version(filing: EnterpriseFiling | None) -> EnterpriseFilingVersion | None:
    if filing is None:
        return None
    return (filing.versions.filter(status__in=services.OPEN_STATUSES).select_related("park")
            .prefetch_related("reviews", "attachments").first())


def _fields_to_fix(version: EnterpriseFilingVersion | None) -> list[str]:
    if version is None or version.status != EnterpriseFilingVersion.Status.RETURNED:
        return []
    names: list[str] = []
    for review in version.reviews.all():
        if review.decision == DepartmentReview.Decision.RETURNED:
            names += [n for n in review.fields_to_fix if n not in names]
    return names


def _masked_values(version: EnterpriseFilingVersion | None) -> dict:
    if version is None:
        return {}
    values = {name: masked(version, name) for name in MASKED_FIELDS}
    values["roles"] = [EnterpriseRole(code).label for code in version.roles if code in EnterpriseRole.values]
    return values


def _apply_error(form, exc: ApplicationError) -> None:
    """Put a domain error on the form: every item of a validation error on its field."""
    items = exc.extra.get("errors") if isinstance(exc.extra, dict) else None
    for item in items or [{"field": exc.field, "message": str(exc.message)}]:
        field = clean_field_name(item.get("field") or "")
        form.add_error(field if field in form.fields else None, str(item["message"]))


def _error_messages(exc: ApplicationError) -> list[str]:
    items = exc.extra.get("errors") if isinstance(exc.extra, dict) else None
    return [str(i["message"]) for i in items] if items else [str(exc.message)]


def _field_label(name: str) -> str:
    field = EnterpriseFilingForm.base_fields.get(clean_field_name(name))
    return str(field.label) if field is not None else name


# --- pages --------------------------------------------------------------------------------------

@login_required
@never_cache
def enterprise_filing(request: HttpRequest) -> HttpResponse:
    """My enterprise filing: status, number, the version in force and the open application with
    each department's decision, and the actions the caller's role allows."""
    organization = _enterprise_user(request)
    filing = _own_filing(request.user)
    version = _open_version(filing)
    effective = filing.effective_version if filing else None
    is_admin = _is_admin(request.user)
    reviews = []
    if version is not None:
        for review in version.reviews.all():
            reviews.append({"review": review, "fields": [_field_label(n) for n in review.fields_to_fix]})
    filed = filing is not None and filing.status == EnterpriseFiling.Status.FILED
    return render(request, "filings/enterprise_filing.html", {
        "organization": organization,
        "filing": filing,
        "version": version,
        "version_masked": _masked_values(version),
        "effective": effective,
        "effective_masked": _masked_values(effective),
        "effective_attachments": effective.attachments.all() if effective else [],
        "reviews": reviews,
        "fields_to_fix": [_field_label(n) for n in _fields_to_fix(version)],
        "can_edit": (version is not None and version.status in EDITABLE_VERSION_STATUSES)
        or filing is None or (filing.status == EnterpriseFiling.Status.REJECTED and version is None),
        "can_submit": is_admin and version is not None and version.status in EDITABLE_VERSION_STATUSES,
        "can_start_change": is_admin and filed and version is None,
        "can_revoke": is_admin and filed,
        "revoke_form": RevokeForm(),
    })


@login_required
@never_cache
def enterprise_filing_edit(request: HttpRequest) -> HttpResponse:
    """The application form: save the draft (and an attachment), or save and submit."""
    organization = _enterprise_user(request)
    filing = _own_filing(request.user)
    version = _open_version(filing)
    if filing is not None and (version is None or version.status not in EDITABLE_VERSION_STATUSES):
        if version is not None:
            messages.info(request, _("The application is under review and cannot be edited now."))
            return redirect("filings:enterprise_filing")
        if filing.status == EnterpriseFiling.Status.FILED:
            messages.info(request, _("Your enterprise is filed; start a change to edit the filing."))
            return redirect("filings:enterprise_filing")
        if filing.status != EnterpriseFiling.Status.REJECTED:
            messages.info(request, _("This filing cannot be edited."))
            return redirect("filings:enterprise_filing")
    source = version or (filing.versions.order_by("-number").first() if filing else None)
    if source is not None:
        initial = {name: getattr(source, name) for name in services.EDITABLE_FIELDS if name != "park"}
        initial["park"] = source.park_id
    else:
        initial = {"name": organization.name, "name_en": organization.name_en,
                   "customs_code": organization.customs_code or ""}
    initial["uscc"] = organization.uscc
    fields_to_fix = _fields_to_fix(version)
    form = EnterpriseFilingForm(request.POST or None, request.FILES or None, initial=initial,
                                fields_to_fix=fields_to_fix)
    is_admin = _is_admin(request.user)
    if request.method == "POST" and form.is_valid():
        submit = request.POST.get("action") == "submit"
        data = form.filing_data() | {"uscc": organization.uscc}
        saved = None
        try:
            saved = services.enterprise_filing_save_draft(actor=request.user, organization=organization, data=data)
            upload = form.cleaned_data.get("attachment_file")
            if upload:
                filing_attachment_upload(actor=request.user, version=saved,
                                         kind=form.cleaned_data["attachment_kind"], upload=upload)
            if submit:
                if not is_admin:
                    form.add_error(None, _("Only the enterprise administrator may submit the filing. "
                                           "Your draft was saved."))
                else:
                    services.enterprise_filing_submit(actor=request.user, version=saved)
        except ApplicationError as exc:
            _apply_error(form, exc)
            if saved is not None:
                messages.warning(request, _("Your draft was saved, but it has errors to correct."))
        if not form.errors:
            messages.success(request, _("Your filing application was submitted for review.") if submit
                             else _("Your draft was saved."))
            return redirect("filings:enterprise_filing")
    return render(request, "filings/enterprise_filing_form.html", {
        "form": form, "version": version, "is_admin": is_admin,
        "fields_to_fix": [_field_label(n) for n in fields_to_fix],
        "attachments": version.attachments.all() if version else [],
    }, status=400 if form.errors else 200)


@login_required
@require_POST
def enterprise_filing_submit(request: HttpRequest) -> HttpResponse:
    """Submit the open draft or returned application (enterprise administrators only)."""
    _enterprise_user(request)
    version = _open_version(_own_filing(request.user))
    if not _is_admin(request.user):
        messages.error(request, _("Only the enterprise administrator may submit the filing."))
        return redirect("filings:enterprise_filing")
    if version is None:
        raise Http404
    try:
        services.enterprise_filing_submit(actor=request.user, version=version)
    except ApplicationError as exc:
        for message in _error_messages(exc):
            messages.error(request, message)
    else:
        messages.success(request, _("Your filing application was submitted for review."))
    return redirect("filings:enterprise_filing")


@login_required
@require_POST
def enterprise_filing_start_change(request: HttpRequest) -> HttpResponse:
    """Start a change (变更) of the filed filing (enterprise administrators only)."""
    _enterprise_user(request)
    filing = _own_filing(request.user)
    if filing is None:
        raise Http404
    if not _is_admin(request.user):
        messages.error(request, _("Only the enterprise administrator may start a change of the filing."))
        return redirect("filings:enterprise_filing")
    try:
        services.enterprise_filing_start_change(actor=request.user, filing=filing)
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
        return redirect("filings:enterprise_filing")
    messages.success(request, _("A change was started; the version in force stays effective until it is approved."))
    return redirect("filings:enterprise_filing_edit")


@login_required
@never_cache
def enterprise_filing_revoke(request: HttpRequest) -> HttpResponse:
    """Revoke (注销) the filing: a confirmation page, then a POST (enterprise administrators only)."""
    _enterprise_user(request)
    filing = _own_filing(request.user)
    if filing is None:
        raise Http404
    if not _is_admin(request.user):
        messages.error(request, _("Only the enterprise administrator may revoke the filing."))
        return redirect("filings:enterprise_filing")
    form = RevokeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.enterprise_filing_revoke(actor=request.user, filing=filing, reason=form.cleaned_data["reason"])
        except ApplicationError as exc:
            _apply_error(form, exc)
        else:
            messages.success(request, _("Your enterprise filing was revoked."))
            return redirect("filings:enterprise_filing")
    return render(request, "filings/enterprise_filing_revoke.html", {"form": form, "filing": filing},
                  status=400 if form.errors else 200)


@login_required
@never_cache
def attachment_download(request: HttpRequest, pk: int) -> HttpResponse:
    """Stream an attachment to a user who may see its filing; 404 for everyone else."""
    attachment = FilingAttachment.objects.select_related("version").filter(pk=pk).first()
    if attachment is None:
        raise Http404
    selectors.enterprise_filing_get_for_user(user=request.user, pk=attachment.version.filing_id)
    response = FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.original_name,
                            content_type=attachment.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- notifications ------------------------------------------------------------------------------

def _notifications_for(user):
    """The notifications of the user's organization addressed to everyone or to the user."""
    return Notification.objects.filter(Q(user__isnull=True) | Q(user=user), organization_id=user.organization_id)


@login_required
@never_cache
def notification_list(request: HttpRequest) -> HttpResponse:
    """The enterprise's notifications, newest first."""
    _enterprise_user(request)
    notifications = _notifications_for(request.user).order_by("-created_at", "-id")
    page = Paginator(notifications, 20).get_page(request.GET.get("page"))
    return render(request, "filings/notification_list.html", {
        "page": page, "unread": notifications.filter(read_at__isnull=True).count(),
    })


@login_required
@require_POST
def notification_mark_read(request: HttpRequest) -> HttpResponse:
    """Mark one notification (``pk``) or all of them (no ``pk``) as read."""
    _enterprise_user(request)
    notifications = _notifications_for(request.user).filter(read_at__isnull=True)
    pk = request.POST.get("pk")
    if pk:
        if not pk.isdigit():
            raise Http404
        notifications = notifications.filter(pk=int(pk))
    notifications.update(read_at=timezone.now())
    return redirect("filings:notification_list")


# --- dashboard ----------------------------------------------------------------------------------

def enterprise_filing_queue(user) -> QueueFill:
    """The enterprise dashboard's filing card: what the enterprise has to do about its filing."""
    url = reverse("filings:enterprise_filing")
    filing = _own_filing(user) if getattr(user, "organization_id", None) else None
    if filing is None:
        return QueueFill(count=1, url=url, items=(
            QueueItem(label=_("File your enterprise"), url=reverse("filings:enterprise_filing_edit")),))
    version = _open_version(filing)
    if version is not None and version.status in EDITABLE_VERSION_STATUSES:
        label = (_("Returned for correction: please correct and resubmit")
                 if version.status == EnterpriseFilingVersion.Status.RETURNED
                 else _("Draft application not yet submitted"))
        return QueueFill(count=1, url=url, items=(
            QueueItem(label=label, url=reverse("filings:enterprise_filing_edit")),))
    note = filing.filing_no or ""
    return QueueFill(count=0, url=url, items=(QueueItem(label=str(filing.get_status_display()), url=url,
                                                        note=note),))
