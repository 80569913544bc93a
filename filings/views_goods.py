"""Enterprise pages of goods filing (商品备案): the goods list with search, filters and Excel
export, the draft form with pictures, the goods item with its versions, submission and change
(变更), and the Excel import with its error report.

Views parse input, call one selector or service, and turn domain errors into form errors or
messages. Only users of an enterprise reach these pages and only for their own enterprise's goods;
anyone else gets 404. Enterprise administrators and operators may write; a picture is served to
whoever the goods selectors let see its item.
"""

from __future__ import annotations

import re
import secrets
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from zone_portal.accounts import roles
from zone_portal.codes.models import HsCode
from zone_portal.core.errors import ApplicationError

from .forms_goods import LABELS, XLSX_CONTENT_TYPE, GoodsFilterForm, GoodsForm, GoodsImportForm
from .goods import (
    GoodsValidationError,
    enterprise_is_filed_ebc,
    goods_create,
    goods_start_change,
    goods_submit,
    goods_update_draft,
    goods_validate,
    version_data,
)
from .goods_excel import ImportFileError, RowError, goods_error_report, goods_export, goods_import, goods_template
from .goods_images import goods_image_delete, goods_image_upload
from .goods_selectors import goods_get_for_user, goods_list_for_user
from .models import GoodsImage, GoodsItem, GoodsVersion
from .views import _enterprise_user

WRITE_ROLES = frozenset({roles.ENTERPRISE_ADMIN, roles.ENTERPRISE_OPERATOR})
OPEN_STATUSES = (GoodsVersion.Status.DRAFT, GoodsVersion.Status.UNDER_REVIEW)
PAGE_SIZE = 20
IMPORT_RESULT_TTL = 3600  # seconds an import's result and error report stay retrievable
IMPORT_ERRORS_SHOWN = 200  # rows of the error table on the page; the report has them all
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
VERSION_FACT_RELATED = ("hs_code", "origin_country", "legal_unit_1", "legal_unit_2", "declared_unit", "currency")


# --- helpers ------------------------------------------------------------------------------------

def _may_write(user) -> bool:
    role = roles.role_of(user)
    return role is not None and role.code in WRITE_ROLES


def _refuse_read_only(request: HttpRequest) -> HttpResponse:
    messages.error(request, _("Only the enterprise administrator or an operator may change goods filings."))
    return redirect("filings:goods_list")


def _own_goods(user, filters: dict | None = None):
    """The goods of the user's own enterprise (the selector would show an officer everything; these
    pages are the enterprise's, so the enterprise narrows them in every case)."""
    return goods_list_for_user(user=user, filters=filters).filter(organization_id=user.organization_id)


def _own_item(request: HttpRequest, pk: int) -> GoodsItem:
    organization = _enterprise_user(request)
    item = goods_get_for_user(user=request.user, pk=pk)
    if item.organization_id != organization.pk:
        raise Http404
    return item


def _versions(item: GoodsItem) -> list[GoodsVersion]:
    """The item's versions, newest first, with the code-table rows and pictures the page shows."""
    versions = list(GoodsVersion.objects.filter(item=item).select_related(*VERSION_FACT_RELATED)
                    .prefetch_related("images").order_by("-number"))
    for version in versions:
        version.price_text = _price_text(version.unit_price)
    return versions


def _open_version(versions) -> GoodsVersion | None:
    return next((v for v in versions if v.status in OPEN_STATUSES), None)


def _last_rejection(versions) -> GoodsVersion | None:
    """The latest decided version when customs rejected it (its reason is what to fix)."""
    decided = next((v for v in versions if v.status not in OPEN_STATUSES), None)
    return decided if decided is not None and decided.status == GoodsVersion.Status.REJECTED else None


def _apply_errors(form, exc: ApplicationError) -> None:
    """Put a domain error on the form: every item of a validation error on its field."""
    items = exc.extra.get("errors") if isinstance(exc.extra, dict) else None
    for item in items or [{"field": exc.field, "message": str(exc.message)}]:
        field = item.get("field") or ""
        form.add_error(field if field in form.fields else None, str(item["message"]))


def _check_the_rest(form, organization, item: GoodsItem | None = None) -> None:
    """When the form itself refused something (a picture), still show every goods rule the other
    fields break, so that one round trip shows all there is to correct. Nothing is saved."""
    _cleaned, errors = goods_validate(form.goods_data(), organization=organization, existing_item=item)
    for error in errors:
        if error["field"] in form.fields and error["field"] not in form.errors:
            form.add_error(error["field"], str(error["message"]))


def _error_messages(exc: ApplicationError) -> list[str]:
    items = exc.extra.get("errors") if isinstance(exc.extra, dict) else None
    return [str(i["message"]) for i in items] if items else [str(exc.message)]


def _price_text(value) -> str:
    """A stored price (``199.00000``) as a person writes it (``199.00``)."""
    if not isinstance(value, Decimal):
        return "" if value is None else str(value)
    cents = value.quantize(Decimal("0.01"))
    return f"{cents:f}" if cents == value else f"{value.normalize():f}"


def _xlsx(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _hs_facts(code: str) -> HsCode | None:
    code = (code or "").strip()
    if not (len(code) == 10 and code.isdigit()):
        return None
    return HsCode.objects.select_related("legal_unit_1", "legal_unit_2").filter(hs_code=code).first()


def _save_pictures_and_submit(request: HttpRequest, item: GoodsItem, uploads, *, submit: bool) -> HttpResponse:
    """After the draft is saved: add its new pictures, then submit it when asked. The draft stays
    saved whatever happens here; problems are reported as messages on the item's pages."""
    problems: list[str] = []
    version = item.versions.filter(status=GoodsVersion.Status.DRAFT).first()
    for upload in uploads:
        try:
            goods_image_upload(actor=request.user, version=version, upload=upload)
        except ApplicationError as exc:
            problems.append(f"{upload.name}: {exc.message}")
    if submit and not problems:
        try:
            goods_submit(actor=request.user, item=item)
        except ApplicationError as exc:
            problems += _error_messages(exc)
    if problems:
        messages.warning(request, _("Your draft was saved, but it has errors to correct."))
        for problem in problems:
            messages.error(request, problem)
        return redirect("filings:goods_detail", item.pk)
    messages.success(request, _("The goods item was submitted to customs for review.") if submit
                     else _("Your draft was saved."))
    return redirect("filings:goods_detail", item.pk)


# --- list, template, export ---------------------------------------------------------------------

@login_required
@never_cache
@require_GET
def goods_list(request: HttpRequest) -> HttpResponse:
    """My enterprise's goods: search, filters, status and record number of each, paginated."""
    organization = _enterprise_user(request)
    form = GoodsFilterForm(request.GET or None)
    filters = form.filters()
    goods = _own_goods(request.user, filters).prefetch_related(
        Prefetch("versions", queryset=GoodsVersion.objects.select_related("hs_code").order_by("-number")))
    page = Paginator(goods, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = []
    for item in page.object_list:
        versions = list(item.versions.all())
        shown = next((v for v in versions if v.pk == item.effective_version_id), versions[0] if versions else None)
        rows.append({"item": item, "version": shown, "open": _open_version(versions)})
    return render(request, "filings/goods/list.html", {
        "form": form, "page": page, "rows": rows, "filtered": bool(filters), "labels": LABELS,
        "can_write": _may_write(request.user), "filed_ebc": enterprise_is_filed_ebc(organization),
    })


@login_required
@require_GET
def goods_template_download(request: HttpRequest) -> HttpResponse:
    """The Excel import template with its drop-down lists."""
    _enterprise_user(request)
    return _xlsx(goods_template(), "goods-template.xlsx")


@login_required
@never_cache
@require_GET
def goods_export_download(request: HttpRequest) -> HttpResponse:
    """The goods of the list, with the list's search and filters, as a workbook in the template's columns."""
    _enterprise_user(request)
    filters = GoodsFilterForm(request.GET or None).filters()
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return _xlsx(goods_export(_own_goods(request.user, filters)), f"goods-{stamp}.xlsx")


@login_required
@require_GET
def goods_hs_lookup(request: HttpRequest) -> HttpResponse:
    """What the code table says about an HS code (name, legal units, positive list), as a fragment
    for the goods form (htmx swaps it in; a plain GET gets the same fragment)."""
    _enterprise_user(request)
    code = (request.GET.get("hs_code") or "").strip()
    return render(request, "filings/goods/_hs_info.html", {"hs_code": code, "hs": _hs_facts(code), "labels": LABELS})


# --- the draft form -----------------------------------------------------------------------------

@login_required
@never_cache
def goods_create_view(request: HttpRequest) -> HttpResponse:
    """A new goods item: save the draft (with pictures), or save and submit it."""
    organization = _enterprise_user(request)
    if not _may_write(request.user):
        return _refuse_read_only(request)
    form = GoodsForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and not form.is_valid():
        _check_the_rest(form, organization)
    elif request.method == "POST":
        try:
            item = goods_create(actor=request.user, organization=organization, data=form.goods_data())
        except GoodsValidationError as exc:
            _apply_errors(form, exc)
        except IntegrityError:  # the same SKU saved at the same moment by a colleague
            form.add_error("item_no", _("Your enterprise has already registered this SKU."))
        else:
            return _save_pictures_and_submit(request, item, form.cleaned_data["images"],
                                             submit=request.POST.get("action") == "submit")
    return render(request, "filings/goods/form.html", {
        "form": form, "item": None, "version": None, "images": [], "labels": LABELS,
        "hs": _hs_facts(form["hs_code"].value()), "filed_ebc": enterprise_is_filed_ebc(organization),
    }, status=400 if form.errors else 200)


@login_required
@never_cache
def goods_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The draft of a goods item (a first application or a change): save, or save and submit."""
    item = _own_item(request, pk)
    if not _may_write(request.user):
        return _refuse_read_only(request)
    version = item.versions.filter(status__in=OPEN_STATUSES).first()
    if version is None or version.status != GoodsVersion.Status.DRAFT:
        if version is not None:
            messages.info(request, _("This goods item is under review and cannot be edited now."))
        else:
            messages.info(request, _("Start a change to edit this goods item."))
        return redirect("filings:goods_detail", item.pk)
    images = list(version.images.all())
    initial = version_data(version) | {"unit_price": _price_text(version.unit_price)}
    form = GoodsForm(request.POST or None, request.FILES or None, initial=initial, existing_images=len(images),
                     sku_locked=bool(item.record_no))
    if request.method == "POST" and not form.is_valid():
        _check_the_rest(form, item.organization, item)
    elif request.method == "POST":
        try:
            goods_update_draft(actor=request.user, item=item, data=form.goods_data())
        except ApplicationError as exc:
            _apply_errors(form, exc)
        except IntegrityError:
            form.add_error("item_no", _("Your enterprise has already registered this SKU."))
        else:
            return _save_pictures_and_submit(request, item, form.cleaned_data["images"],
                                             submit=request.POST.get("action") == "submit")
    return render(request, "filings/goods/form.html", {
        "form": form, "item": item, "version": version, "images": images, "labels": LABELS,
        "hs": _hs_facts(form["hs_code"].value()),
        "filed_ebc": enterprise_is_filed_ebc(item.organization),
    }, status=400 if form.errors else 200)


# --- the goods item -----------------------------------------------------------------------------

@login_required
@never_cache
@require_GET
def goods_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One goods item: status, record number, traceability id, the version in force, the version in
    progress, the last rejection, pictures, every version, and the actions the caller may take."""
    item = _own_item(request, pk)
    versions = _versions(item)
    open_version = _open_version(versions)
    effective = next((v for v in versions if v.pk == item.effective_version_id), None)
    can_write = _may_write(request.user)
    is_draft = open_version is not None and open_version.status == GoodsVersion.Status.DRAFT
    has_source = effective is not None or any(v.status == GoodsVersion.Status.REJECTED for v in versions)
    return render(request, "filings/goods/detail.html", {
        "item": item, "versions": versions, "effective": effective, "open_version": open_version, "labels": LABELS,
        "rejection": _last_rejection(versions),
        "can_edit": can_write and is_draft, "can_submit": can_write and is_draft,
        "can_start_change": can_write and open_version is None and has_source,
        "filed_ebc": enterprise_is_filed_ebc(item.organization),
    })


@login_required
@require_POST
def goods_submit_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Send the item's draft to customs."""
    item = _own_item(request, pk)
    if not _may_write(request.user):
        return _refuse_read_only(request)
    try:
        goods_submit(actor=request.user, item=item)
    except ApplicationError as exc:
        for message in _error_messages(exc):
            messages.error(request, message)
    else:
        messages.success(request, _("The goods item was submitted to customs for review."))
    return redirect("filings:goods_detail", item.pk)


@login_required
@require_POST
def goods_start_change_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Start a change (变更) of a filed item, or a new application after a rejection."""
    item = _own_item(request, pk)
    if not _may_write(request.user):
        return _refuse_read_only(request)
    try:
        goods_start_change(actor=request.user, item=item)
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
        return redirect("filings:goods_detail", item.pk)
    messages.success(request, _("A new version was started as a draft; the version in force stays effective "
                                "until customs approves the change."))
    return redirect("filings:goods_edit", item.pk)


# --- pictures -----------------------------------------------------------------------------------

@login_required
@never_cache
@require_GET
def goods_image(request: HttpRequest, pk: int) -> HttpResponse:
    """A picture, to a user who may see its goods item; 404 for everyone else."""
    image = GoodsImage.objects.select_related("version").filter(pk=pk).first()
    if image is None:
        raise Http404
    goods_get_for_user(user=request.user, pk=image.version.item_id)
    try:
        handle = image.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    extension = ".png" if image.content_type == "image/png" else ".jpg"
    response = FileResponse(handle, content_type=image.content_type,
                            filename=f"goods-{image.version.item_id}-{image.position}{extension}")
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
def goods_image_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Remove a picture from a draft."""
    image = GoodsImage.objects.select_related("version").filter(pk=pk).first()
    if image is None:
        raise Http404
    item = _own_item(request, image.version.item_id)
    if not _may_write(request.user):
        return _refuse_read_only(request)
    try:
        goods_image_delete(actor=request.user, image=image)
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
        return redirect("filings:goods_detail", item.pk)
    messages.success(request, _("The picture was removed."))
    return redirect("filings:goods_edit", item.pk)


# --- Excel import -------------------------------------------------------------------------------

def _import_key(user, token: str) -> str:
    # The user's id is part of the key: another user cannot open a result by guessing or sharing a link.
    return f"filings:goods-import:{user.pk}:{token}"


def _import_result(request: HttpRequest, token: str) -> dict | None:
    if not TOKEN_RE.match(token):
        raise Http404
    return cache.get(_import_key(request.user, token))


@login_required
@never_cache
def goods_import_view(request: HttpRequest) -> HttpResponse:
    """Upload a filled-in template; all or nothing, or the good rows only. The result and its error
    report stay retrievable for an hour (in the cache, never as a file under MEDIA_ROOT)."""
    organization = _enterprise_user(request)
    if not _may_write(request.user):
        return _refuse_read_only(request)
    form = GoodsImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        mode = form.cleaned_data["mode"]
        try:
            result = goods_import(actor=request.user, organization=organization,
                                  file_bytes=form.cleaned_data["file"].read(), mode=mode)
        except ImportFileError as exc:
            form.add_error("file", str(exc))
        except IntegrityError:  # a SKU of the file registered at the same moment by a colleague
            form.add_error("file", _("Some SKUs of the file were registered meanwhile; import the file again."))
        else:
            token = secrets.token_urlsafe(16)
            cache.set(_import_key(request.user, token), {
                "mode": result.mode, "rows": result.rows, "created": result.created,
                "failed_rows": result.failed_rows, "file_name": form.cleaned_data["file"].name,
                "errors": [(e.row, e.column, e.code, str(e.message)) for e in result.errors],
            }, IMPORT_RESULT_TTL)
            return redirect("filings:goods_import_result", token)
    return render(request, "filings/goods/import.html", {"form": form}, status=400 if form.errors else 200)


@login_required
@never_cache
@require_GET
def goods_import_result(request: HttpRequest, token: str) -> HttpResponse:
    """What an import did: rows read, items created, and the errors of each row."""
    _enterprise_user(request)
    result = _import_result(request, token)
    if result is None:
        messages.info(request, _("That import result is no longer available; results are kept for an hour."))
        return redirect("filings:goods_import")
    errors = [RowError(*e) for e in result["errors"][:IMPORT_ERRORS_SHOWN]]
    return render(request, "filings/goods/import_result.html", {
        "token": token, "result": result, "errors": errors, "more_errors": len(result["errors"]) - len(errors),
        "nothing_imported": result["mode"] == "all_or_nothing" and result["errors"],
    })


@login_required
@never_cache
@require_GET
def goods_import_report(request: HttpRequest, token: str) -> HttpResponse:
    """The error report of an import as a workbook (row, column, code, message)."""
    _enterprise_user(request)
    result = _import_result(request, token)
    if result is None or not result["errors"]:
        raise Http404
    return _xlsx(goods_error_report([RowError(*e) for e in result["errors"]]), "goods-import-errors.xlsx")
