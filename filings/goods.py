"""Goods filing (商品备案): validation and the writes of the goods workflow.

An e-commerce enterprise with an effective filing registers its goods; customs approves or
rejects each version; an approved item gets a goods record number (``itemRecordNo``) and a
traceability id once, and a later change is a new version reviewed again while the version in
force stays effective. ``goods_validate`` is the one validation used by the web form, the Excel
import and the API.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import stdnum.ean
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from zone_portal.accounts.models import Organization
from zone_portal.audit.services import audit_record
from zone_portal.codes.models import Country, Currency, HsCode, Unit
from zone_portal.core.errors import ApplicationError, Conflict, PermissionDenied

from .models import CustomsMode, EnterpriseRole, GoodsImage, GoodsItem, GoodsVersion
from .services import ReasonRequired  # one domain error for "a refusal must say why", for filings and goods

# Import goods declared under these modes must be on the retail-import positive list.
POSITIVE_LIST_MODES = frozenset({CustomsMode.M1210.value, CustomsMode.M9610.value})
# Modes that only exist for exports (B2B direct export, export via overseas warehouse).
EXPORT_ONLY_MODES = frozenset({CustomsMode.M9710.value, CustomsMode.M9810.value})
MODES = tuple(m.value for m in CustomsMode)
DIRECTIONS = ("import", "export")

# Input keys of a goods item, in form / template order. FKs are given by their natural codes.
TEXT_FIELDS = ("name", "name_en", "declaration_elements", "brand", "model_spec", "ingredients", "usage",
               "manufacturer")
INPUT_FIELDS = ("item_no", "name", "name_en", "hs_code", "declaration_elements", "brand", "model_spec",
                "ingredients", "usage", "origin_country", "legal_unit_1", "legal_unit_2", "declared_unit",
                "unit_price", "currency", "barcode", "manufacturer", "modes", "direction")
# Input key → GoodsVersion attribute for the code-table foreign keys.
FK_ATTNAMES = {"hs_code": "hs_code_id", "origin_country": "origin_country_id", "legal_unit_1": "legal_unit_1_id",
               "legal_unit_2": "legal_unit_2_id", "declared_unit": "declared_unit_id", "currency": "currency_id"}
# Fields a new version copies from the one before.
VERSION_COPY_FIELDS = TEXT_FIELDS + tuple(FK_ATTNAMES.values()) + ("unit_price", "barcode", "modes", "direction",
                                                                    "positive_list")

PRICE_STEP = Decimal("0.00001")
RECORD_NO_PREFIX = "GR"
RECORD_NO_LOCK = "goods_record_no"

_HS_RE = re.compile(r"^[0-9]{10}$")
_GTIN_RE = re.compile(r"^(?:[0-9]{8}|[0-9]{12,14})$")


class GoodsValidationError(ApplicationError):
    """The goods data broke one or more rules; ``extra["errors"]`` lists them all."""

    code = "goods_invalid"


class EnterpriseNotFiled(ApplicationError):
    """The enterprise has no effective filing as an e-commerce enterprise (电商企业)."""

    code = "enterprise_not_filed"


class GoodsStateError(Conflict):
    """The goods item or version is not in the state the action needs."""

    code = "goods_wrong_state"




@dataclass(frozen=True)
class HsFacts:
    """What validation needs to know about one 10-digit code."""

    is_active: bool
    legal_unit_1: str
    legal_unit_2: str | None
    positive_list: bool


@dataclass
class CodeTables:
    """The code tables goods validation reads, loaded once (per request or per import)."""

    hs: dict[str, HsFacts] = field(default_factory=dict)
    countries: set[str] = field(default_factory=set)
    currencies: set[str] = field(default_factory=set)
    units: set[str] = field(default_factory=set)

    @classmethod
    def load(cls, *, hs_codes: set[str] | None = None) -> CodeTables:
        """Load the active codes in four queries; ``hs_codes`` limits the HS rows to those."""
        hs_qs = HsCode.objects.all()
        if hs_codes is not None:
            hs_qs = hs_qs.filter(hs_code__in=hs_codes)
        return cls(
            hs={code: HsFacts(active, u1, u2, pos) for code, active, u1, u2, pos in hs_qs.values_list(
                "hs_code", "is_active", "legal_unit_1_id", "legal_unit_2_id", "positive_list")},
            countries=set(Country.objects.filter(is_active=True).values_list("customs_code", flat=True)),
            currencies=set(Currency.objects.filter(is_active=True).values_list("customs_code", flat=True)),
            units=set(Unit.objects.filter(is_active=True).values_list("code", flat=True)),
        )


def _max_length(name: str) -> int:
    if name == "item_no":
        return GoodsItem._meta.get_field("item_no").max_length
    return GoodsVersion._meta.get_field(name).max_length


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _code(value: Any, width: int) -> str:
    """A code cell: ``"142 人民币"`` or ``142`` (a number that lost its leading zeros) → ``"142"``."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        text = _text(value)
        return text.zfill(width) if text.isdigit() else text
    text = _text(value)
    return text.split(" ", 1)[0].split("\u3000", 1)[0] if text else ""


def parse_modes(value: Any) -> list[str]:
    """Modes from a list or a string such as ``"1210,9610"`` / ``"1210 9610"``, de-duplicated in order."""
    if value is None:
        return []
    items = value if isinstance(value, (list, tuple)) else re.split(r"[,，;；/\s]+", _text(value))
    seen: list[str] = []
    for item in items:
        item = _text(item)
        if item and item not in seen:
            seen.append(item)
    return seen


def goods_validate(data: dict, *, organization: Organization, existing_item: GoodsItem | None = None,
                   tables: CodeTables | None = None,
                   existing_skus: set[str] | None = None) -> tuple[dict, list[dict]]:
    """Check one goods item's data against every goods-filing rule and return ``(cleaned, errors)``.

    The rules: SKU, Chinese name, HS code, origin country, legal unit 1, declared unit, unit price
    (> 0), currency, direction and at least one mode are required; codes must exist (and be active)
    in the code tables; the legal units must be the HS code's legal units; a barcode must be a
    valid GTIN; the positive-list flag comes from the HS code, and import goods under 1210/9610
    must be on that list; a SKU is unique within the enterprise. ``tables`` and ``existing_skus``
    let a bulk import load the code tables and the enterprise's SKUs once for all rows.
    ``cleaned`` holds ``item_no`` and the GoodsVersion attributes (``hs_code_id`` …).
    """
    errors: list[dict] = []

    def error(name: str, code: str, message: str) -> None:
        errors.append({"field": name, "code": code, "message": message})

    if tables is None:
        tables = CodeTables.load(hs_codes={_code(data.get("hs_code"), 10)})
    cleaned: dict[str, Any] = {}

    # SKU
    item_no = _text(data.get("item_no"))
    if not item_no:
        error("item_no", "required", _("Enter the SKU (item number)."))
    elif len(item_no) > _max_length("item_no"):
        error("item_no", "too_long", _("At most %(n)d characters.") % {"n": _max_length("item_no")})
    else:
        same_item = existing_item is not None and existing_item.item_no == item_no
        if not same_item:
            if existing_skus is not None:
                taken = item_no in existing_skus
            else:
                taken = GoodsItem.objects.filter(organization=organization, item_no=item_no).exists()
            if taken:
                error("item_no", "sku_duplicate", _("Your enterprise has already registered this SKU."))
    cleaned["item_no"] = item_no

    # Free text
    for name in TEXT_FIELDS:
        value = _text(data.get(name))
        limit = _max_length(name)
        if limit is not None and len(value) > limit:
            error(name, "too_long", _("At most %(n)d characters.") % {"n": limit})
        cleaned[name] = value
    if not cleaned["name"]:
        error("name", "required", _("Enter the Chinese name of the goods."))

    # HS code and what it decides
    hs_code = _code(data.get("hs_code"), 10)
    hs: HsFacts | None = None
    if not hs_code:
        error("hs_code", "required", _("Enter the 10-digit HS code."))
    elif not _HS_RE.match(hs_code):
        error("hs_code", "hs_code_format", _("An HS code has exactly 10 digits."))
    else:
        hs = tables.hs.get(hs_code)
        if hs is None:
            error("hs_code", "hs_code_unknown", _("This HS code is not in the commodity code table."))
        elif not hs.is_active:
            error("hs_code", "hs_code_inactive", _("This HS code has been withdrawn."))
            hs = None
    cleaned["hs_code_id"] = hs_code
    cleaned["positive_list"] = bool(hs and hs.positive_list)

    # Country, currency, units
    country = _code(data.get("origin_country"), 3)
    if not country:
        error("origin_country", "required", _("Choose the country of origin."))
    elif country not in tables.countries:
        error("origin_country", "country_unknown", _("This country code is not in the country table."))
    cleaned["origin_country_id"] = country

    currency = _code(data.get("currency"), 3)
    if not currency:
        error("currency", "required", _("Choose the currency."))
    elif currency not in tables.currencies:
        error("currency", "currency_unknown", _("This currency code is not in the currency table."))
    cleaned["currency_id"] = currency

    units_known = True
    for name, required in (("legal_unit_1", True), ("legal_unit_2", False), ("declared_unit", True)):
        unit = _code(data.get(name), 3)
        if not unit:
            if required:
                error(name, "required", _("Choose the unit."))
                units_known = False
        elif unit not in tables.units:
            error(name, "unit_unknown", _("This unit code is not in the unit table."))
            units_known = False
        cleaned[f"{name}_id"] = unit or None
    if hs is not None and units_known and cleaned["legal_unit_1_id"]:
        if cleaned["legal_unit_1_id"] != hs.legal_unit_1:
            error("legal_unit_1", "unit_mismatch_hs",
                  _("The first legal unit of HS code %(hs)s is %(unit)s.") % {"hs": hs_code, "unit": hs.legal_unit_1})
        if (cleaned["legal_unit_2_id"] or None) != (hs.legal_unit_2 or None):
            if hs.legal_unit_2:
                message = _("The second legal unit of HS code %(hs)s is %(unit)s.") % {
                    "hs": hs_code, "unit": hs.legal_unit_2}
            else:
                message = _("HS code %(hs)s has no second legal unit.") % {"hs": hs_code}
            error("legal_unit_2", "unit_mismatch_hs", message)

    # Price
    raw_price = data.get("unit_price")
    price: Decimal | None = None
    if raw_price is None or _text(raw_price) == "":
        error("unit_price", "required", _("Enter the unit price."))
    else:
        try:
            price = Decimal(str(raw_price).strip()) if not isinstance(raw_price, Decimal) else raw_price
            if not price.is_finite():
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            error("unit_price", "invalid_number", _("Enter the unit price as a number."))
            price = None
        if price is not None:
            if price <= 0:
                error("unit_price", "not_positive", _("The unit price must be greater than zero."))
            elif price.adjusted() >= 14:
                error("unit_price", "too_large", _("The unit price is too large."))
            elif price != price.quantize(PRICE_STEP):
                error("unit_price", "too_many_decimals", _("At most 5 decimal places."))
            else:
                price = price.quantize(PRICE_STEP)
    cleaned["unit_price"] = price

    # Barcode
    barcode = _text(data.get("barcode"))
    if barcode and not (_GTIN_RE.match(barcode) and stdnum.ean.is_valid(barcode)):
        error("barcode", "gtin_invalid", _("The barcode is not a valid GTIN (8, 12, 13 or 14 digits with "
                                           "the right check digit)."))
    cleaned["barcode"] = barcode

    # Direction and modes
    direction = _text(data.get("direction")).lower()
    if not direction:
        error("direction", "required", _("Choose import or export."))
    elif direction not in DIRECTIONS:
        error("direction", "invalid_choice", _("The direction is import or export."))
    cleaned["direction"] = direction

    modes = parse_modes(data.get("modes"))
    if not modes:
        error("modes", "required", _("Choose at least one customs mode."))
    elif any(m not in MODES for m in modes):
        error("modes", "invalid_choice", _("The customs modes are 9610, 1210, 9710 and 9810."))
    elif direction == "import" and EXPORT_ONLY_MODES.intersection(modes):
        error("modes", "mode_direction_mismatch", _("Modes 9710 and 9810 are for export goods only."))
    elif direction == "import" and hs is not None and POSITIVE_LIST_MODES.intersection(modes) \
            and not hs.positive_list:
        error("hs_code", "not_on_positive_list",
              _("Import goods under 1210 or 9610 must be on the retail-import positive list; HS code "
                "%(hs)s is not.") % {"hs": hs_code})
    cleaned["modes"] = modes
    return cleaned, errors


def _raise_if(errors: list[dict]) -> None:
    if errors:
        first = errors[0]
        raise GoodsValidationError(first["message"], code=GoodsValidationError.code, field=first["field"],
                                   extra={"errors": errors})


def _version_fields(cleaned: dict) -> dict:
    return {k: v for k, v in cleaned.items() if k != "item_no"}


def version_data(version: GoodsVersion) -> dict:
    """A version as input data for ``goods_validate`` (codes as strings, modes as a list)."""
    data = {name: getattr(version, name) for name in TEXT_FIELDS}
    data.update({name: getattr(version, attname) or "" for name, attname in FK_ATTNAMES.items()})
    data.update(item_no=version.item.item_no, unit_price=version.unit_price, barcode=version.barcode,
                modes=list(version.modes), direction=version.direction)
    return data


def _open_version(item: GoodsItem, *, lock: bool = False) -> GoodsVersion | None:
    qs = item.versions.filter(status__in=[GoodsVersion.Status.DRAFT, GoodsVersion.Status.UNDER_REVIEW])
    if lock:
        qs = qs.select_for_update()
    return qs.first()


def _check_own(actor, organization_id: int) -> None:
    """Only a user or API client of the enterprise itself writes its goods (the pages and the API
    check this too; the services do not rely on them)."""
    if getattr(actor, "organization_id", None) != organization_id:
        raise PermissionDenied(_("Only your own enterprise's goods can be changed."))


def _lock_item(item: GoodsItem) -> GoodsItem:
    return GoodsItem.objects.select_for_update().get(pk=item.pk)


@transaction.atomic
def goods_create(*, actor, organization: Organization, data: dict) -> GoodsItem:
    """Register a new goods item of ``organization`` with its first version as a draft.

    The data must pass ``goods_validate``; the positive-list flag is derived from the HS code.
    """
    _check_own(actor, organization.pk)
    cleaned, errors = goods_validate(data, organization=organization)
    _raise_if(errors)
    item = GoodsItem.objects.create(organization=organization, item_no=cleaned["item_no"])
    version = GoodsVersion.objects.create(item=item, number=1, created_by=_user(actor), **_version_fields(cleaned))
    audit_record(actor=actor, action="filings.goodsitem.create", target=item, organization_id=organization.pk,
                 changes={"item_no": [None, item.item_no], "version": [None, version.number]})
    return item


def goods_create_many(*, actor, organization: Organization, cleaned: list[dict], action: str,
                      extra: dict | None = None) -> tuple[list[GoodsItem], set[str]]:
    """Create many already validated items (``goods_validate`` output) with their first draft
    versions in a few multi-row INSERTs, for the Excel import and the bulk API.

    SKUs are re-checked under a per-enterprise advisory lock, so a SKU a concurrent request created
    since validation is skipped (returned in the second element) instead of failing the batch.
    One audit event records the batch (``action``, the SKUs created and ``extra``)."""
    _check_own(actor, organization.pk)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"goods-create:{organization.pk}"])
        skus = [c["item_no"] for c in cleaned]
        taken = set(GoodsItem.objects.filter(organization=organization, item_no__in=skus)
                    .values_list("item_no", flat=True))
        fresh = [c for c in cleaned if c["item_no"] not in taken]
        items = GoodsItem.objects.bulk_create(
            [GoodsItem(organization=organization, item_no=c["item_no"]) for c in fresh], batch_size=2000)
        created_by = _user(actor)
        GoodsVersion.objects.bulk_create(
            [GoodsVersion(item=item, number=1, created_by=created_by, **_version_fields(c))
             for item, c in zip(items, fresh, strict=True)], batch_size=2000)
        audit_record(actor=actor, action=action, target=None, organization_id=organization.pk,
                     changes={"created": [0, len(items)]},
                     extra={**(extra or {}), "created": len(items), "item_nos": [i.item_no for i in items][:1000],
                            "skipped_taken": sorted(taken)})
    return items, taken


@transaction.atomic
def goods_update_draft(*, actor, item: GoodsItem, data: dict) -> GoodsVersion:
    """Change the draft version of ``item``; only a draft (not one under review) can be edited, and
    the SKU can change only while the item has never been filed."""
    _check_own(actor, item.organization_id)
    item = _lock_item(item)
    version = _open_version(item, lock=True)
    if version is None or version.status != GoodsVersion.Status.DRAFT:
        raise GoodsStateError(_("This goods item has no draft to change."), field=None)
    cleaned, errors = goods_validate(data, organization=item.organization, existing_item=item)
    if cleaned["item_no"] != item.item_no and item.record_no:
        errors.append({"field": "item_no", "code": "sku_locked",
                       "message": _("The SKU of a filed item cannot change.")})
    _raise_if(errors)
    changes: dict[str, list] = {}
    if cleaned["item_no"] != item.item_no:
        changes["item_no"] = [item.item_no, cleaned["item_no"]]
        item.item_no = cleaned["item_no"]
        item.save(update_fields=["item_no", "updated_at"])
    for attname, value in _version_fields(cleaned).items():
        old = getattr(version, attname)
        if old != value:
            changes[attname] = [_plain(old), _plain(value)]
            setattr(version, attname, value)
    version.save()
    audit_record(actor=actor, action="filings.goodsitem.update", target=item, organization_id=item.organization_id,
                 changes=changes)
    return version


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, Decimal) else value


def _user(actor):
    from zone_portal.accounts.models import User

    return actor if isinstance(actor, User) and actor.pk else None


def enterprise_is_filed_ebc(organization: Organization) -> bool:
    """Whether ``organization`` has an effective enterprise filing that includes the 电商企业 role."""
    filing = getattr(organization, "filing", None) if hasattr(organization, "filing") else None  # reverse 1:1
    return bool(filing and filing.status == "filed" and filing.effective_version
                and EnterpriseRole.EBC.value in filing.effective_version.roles)


@transaction.atomic
def goods_submit(*, actor, item: GoodsItem) -> GoodsVersion:
    """Send the draft version of ``item`` to customs. The enterprise must have an effective filing
    as an e-commerce enterprise (电商企业), and the draft must still pass validation (a code may
    have been withdrawn since it was saved)."""
    _check_own(actor, item.organization_id)
    item = _lock_item(item)
    organization = Organization.objects.select_related("filing__effective_version").get(pk=item.organization_id)
    if not enterprise_is_filed_ebc(organization):
        raise EnterpriseNotFiled(_("Your enterprise needs an effective filing as an e-commerce enterprise "
                                   "(电商企业) before it can file goods."))
    version = _open_version(item, lock=True)
    if version is None or version.status != GoodsVersion.Status.DRAFT:
        raise GoodsStateError(_("This goods item has no draft to submit."))
    cleaned, errors = goods_validate(version_data(version), organization=organization, existing_item=item)
    _raise_if(errors)
    version.positive_list = cleaned["positive_list"]
    version.status = GoodsVersion.Status.UNDER_REVIEW
    version.submitted_at = timezone.now()
    version.save(update_fields=["status", "submitted_at", "positive_list"])
    old_status = item.status
    if item.status != GoodsItem.Status.FILED:
        item.status = GoodsItem.Status.UNDER_REVIEW
        item.save(update_fields=["status", "updated_at"])
    audit_record(actor=actor, action="filings.goodsitem.submit", target=item, organization_id=item.organization_id,
                 changes={"status": [old_status, item.status], "version": [None, version.number]})
    return version


def _check_customs_officer(actor) -> None:
    organization = getattr(actor, "organization", None)
    if not (getattr(actor, "is_staff", False) and organization is not None
            and organization.kind == Organization.Kind.CUSTOMS):
        raise PermissionDenied(_("Only a customs officer can decide on goods filings."))


def _next_record_no(organization: Organization) -> str:
    """The next goods record number: ``GR`` + the last 6 characters of the USCC + an 8-digit
    sequence shared by all enterprises (so numbers are unique whatever the USCC suffix).

    Computed as max + 1 under a transaction-level advisory lock, so two approvals never take the
    same number; the unique constraint on ``record_no`` backs it up.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [RECORD_NO_LOCK])
        cursor.execute("SELECT max(right(record_no, 8)::bigint) FROM filings_goodsitem "
                       "WHERE record_no ~ '^GR.{6}[0-9]{8}$'")
        (current,) = cursor.fetchone()
    suffix = (organization.uscc or organization.customs_code or "000000")[-6:].rjust(6, "0")
    return f"{RECORD_NO_PREFIX}{suffix}{(current or 0) + 1:08d}"


@transaction.atomic
def goods_decide(*, actor, version: GoodsVersion, approve: bool, reason: str = "") -> GoodsVersion:
    """A customs officer approves or rejects a version under review.

    Approval makes the version the one in force (the previous one is superseded), files the item
    and gives it a record number and a traceability id the first time; a rejection needs a reason
    and leaves a version already in force untouched.
    """
    _check_customs_officer(actor)
    reason = (reason or "").strip()
    if not approve and not reason:
        raise ReasonRequired(_("Give the reason for the rejection."), field="reason")
    version = GoodsVersion.objects.select_for_update().get(pk=version.pk)
    item = _lock_item(version.item)
    if version.status != GoodsVersion.Status.UNDER_REVIEW:
        raise GoodsStateError(_("Only a version under review can be decided."))
    now = timezone.now()
    before = {"status": item.status, "record_no": item.record_no}
    version.decided_at, version.decided_by, version.reason = now, _user(actor), reason
    if approve:
        if item.effective_version_id:
            GoodsVersion.objects.filter(pk=item.effective_version_id).update(status=GoodsVersion.Status.SUPERSEDED)
        version.status = GoodsVersion.Status.APPROVED
        version.save(update_fields=["status", "decided_at", "decided_by", "reason"])
        if not item.record_no:
            item.record_no = _next_record_no(item.organization)
        if not item.trace_id:
            item.trace_id = uuid.uuid4()
        item.effective_version = version
        item.status = GoodsItem.Status.FILED
        item.filed_at = item.filed_at or now
        verb = "approve"
    else:
        version.status = GoodsVersion.Status.REJECTED
        version.save(update_fields=["status", "decided_at", "decided_by", "reason"])
        if not item.effective_version_id:
            item.status = GoodsItem.Status.REJECTED
        verb = "reject"
    item.save()
    changes = {"status": [before["status"], item.status], "version": [version.number, version.status]}
    if before["record_no"] != item.record_no:
        changes["record_no"] = [before["record_no"], item.record_no]
    if reason:
        changes["reason"] = [None, reason]
    audit_record(actor=actor, action=f"filings.goodsitem.{verb}", target=item,
                 organization_id=item.organization_id, changes=changes)
    return version


@transaction.atomic
def goods_start_change(*, actor, item: GoodsItem) -> GoodsVersion:
    """Open a new draft version copied from the version in force (a change, 变更) or, for an item
    whose first application was rejected, from that rejected version, pictures included. One open
    version at a time."""
    _check_own(actor, item.organization_id)
    item = _lock_item(item)
    if _open_version(item) is not None:
        raise GoodsStateError(_("This goods item already has a version in progress."))
    source = item.effective_version
    if source is None:
        source = item.versions.filter(status=GoodsVersion.Status.REJECTED).order_by("-number").first()
    if source is None:
        raise GoodsStateError(_("There is no version to start a change from."))
    number = (item.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = GoodsVersion.objects.create(item=item, number=number, created_by=_user(actor),
                                          **{f: getattr(source, f) for f in VERSION_COPY_FIELDS})
    # The pictures come along (sharing the stored files: goods_image_delete keeps a file still in use).
    GoodsImage.objects.bulk_create([
        GoodsImage(version=version, file=image.file.name, content_type=image.content_type, size=image.size,
                   sha256=image.sha256, position=image.position)
        for image in source.images.all()
    ])
    old_status = item.status
    if item.status == GoodsItem.Status.REJECTED:
        item.status = GoodsItem.Status.DRAFT
        item.save(update_fields=["status", "updated_at"])
    audit_record(actor=actor, action="filings.goodsitem.start_change", target=item,
                 organization_id=item.organization_id,
                 changes={"status": [old_status, item.status], "version": [source.number, number]})
    return version


@dataclass
class BulkResult:
    """The outcome of one version in a bulk approval."""

    version_id: int
    item_no: str
    ok: bool
    record_no: str | None = None
    code: str = ""
    message: str = ""


def goods_bulk_approve(*, actor, versions) -> list[BulkResult]:
    """Approve several versions for the back office; each is checked and approved in its own
    transaction (one refusal does not undo the others) and reported separately."""
    _check_customs_officer(actor)
    results = []
    for version in versions:
        try:
            decided = goods_decide(actor=actor, version=version, approve=True)
        except ApplicationError as exc:
            results.append(BulkResult(version.pk, version.item.item_no, False, code=exc.code, message=str(exc)))
        else:
            results.append(BulkResult(decided.pk, decided.item.item_no, True,
                                      record_no=GoodsItem.objects.values_list("record_no", flat=True)
                                      .get(pk=decided.item_id)))
    return results
