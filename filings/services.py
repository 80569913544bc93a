"""Writes of enterprise filing (企业备案): draft, submit, department decisions, change, revocation.

Every transition is one transaction that checks the current state under a row lock, writes the
change with its audit event, notifies the enterprise (in-app and by email, after the commit) and
sends its domain signal after the commit.
"""

from __future__ import annotations

import functools
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from zone_portal.accounts import roles
from zone_portal.accounts.models import Organization
from zone_portal.accounts.notifications import notify
from zone_portal.accounts.validators import validate_customs_code, validate_mobile, validate_uscc
from zone_portal.audit.models import AuditEvent
from zone_portal.audit.services import audit_record, diff, snapshot
from zone_portal.core import crypto
from zone_portal.core.errors import ApplicationError, Conflict, PermissionDenied

from . import signals
from .models import (
    Department,
    DepartmentReview,
    EnterpriseFiling,
    EnterpriseFilingVersion,
    EnterpriseRole,
    FilingAttachment,
    ReviewRule,
)

REVIEW_PERMISSION = "filings.review_enterprisefiling"
FILING_NO_SEQUENCE = "filings_enterprise_filing_no_seq"

# The fields of a version the enterprise fills in.
EDITABLE_FIELDS = [
    "roles", "uscc", "customs_code", "name", "name_en", "legal_representative", "registered_address",
    "operating_address", "contact_name", "contact_mobile", "contact_email", "business_scope", "park",
    "bank_name", "bank_account", "handles_foreign_currency", "operates_overseas_warehouse",
    "payment_licence_no", "express_permit_no", "platform_domain", "platform_app_name",
]
REQUIRED_FIELDS = ["roles", "uscc", "name", "legal_representative", "registered_address", "contact_name",
                   "contact_mobile", "contact_email", "business_scope"]
ENCRYPTED_FIELDS = {"legal_representative": "text", "contact_name": "text", "contact_mobile": "phone",
                    "bank_account": "text"}
BOOLEAN_FIELDS = {"handles_foreign_currency", "operates_overseas_warehouse"}

# The version fields each department reviews: on resubmission of a returned version, a department
# whose approval stands reviews again only if one of its fields changed. Customs reviews everything.
DEPARTMENT_SECTIONS: dict[str, frozenset[str]] = {
    Department.CUSTOMS: frozenset(EDITABLE_FIELDS),
    Department.TAX: frozenset({"roles", "uscc", "name", "name_en", "legal_representative", "registered_address",
                               "operating_address", "business_scope", "bank_name", "bank_account",
                               "handles_foreign_currency"}),
    Department.FOREX: frozenset({"uscc", "name", "bank_name", "bank_account", "handles_foreign_currency"}),
    Department.COMMERCE: frozenset({"roles", "uscc", "name", "platform_domain", "platform_app_name",
                                    "operates_overseas_warehouse", "business_scope"}),
    Department.MARKET: frozenset({"roles", "uscc", "name", "business_scope", "legal_representative",
                                  "registered_address"}),
}

OPEN_STATUSES = [EnterpriseFilingVersion.Status.DRAFT, EnterpriseFilingVersion.Status.UNDER_REVIEW,
                 EnterpriseFilingVersion.Status.RETURNED]


# --- errors -------------------------------------------------------------------------------------

class FilingValidationError(ApplicationError):
    """The application has invalid fields; ``extra["errors"]`` lists every one of them."""

    code = "validation_error"

    def __init__(self, errors: list[dict[str, str]]) -> None:
        super().__init__(_("The filing application has errors; please correct the marked fields."),
                         field=errors[0]["field"] if len(errors) == 1 else None, extra={"errors": errors})
        self.errors = errors


class FilingNotUnderReview(Conflict):
    code = "filing_not_under_review"


class ReviewNotPending(Conflict):
    code = "review_not_pending"


class FilingStateError(Conflict):
    """The filing is not in a state that allows this action."""

    code = "invalid_filing_state"


class ReasonRequired(ApplicationError):
    """A rejection or a return must say why (filings and goods alike)."""

    code = "reason_required"


class FieldsToFixRequired(ApplicationError):
    code = "fields_to_fix_required"


class NotYourDepartment(PermissionDenied):
    code = "not_your_department"


# --- helpers ------------------------------------------------------------------------------------

def _is_member(actor, organization: Organization) -> bool:
    return bool(getattr(actor, "pk", None)) and actor.organization_id == organization.pk


def _is_enterprise_admin(actor, organization: Organization) -> bool:
    role = roles.role_of(actor) if getattr(actor, "pk", None) else None
    return _is_member(actor, organization) and role is not None and role.code == roles.ENTERPRISE_ADMIN


def _require_member(actor, organization: Organization) -> None:
    if not (_is_member(actor, organization) and organization.kind == Organization.Kind.ENTERPRISE):
        raise PermissionDenied(_("Only users of the enterprise may edit or submit its filing."))


def officer_review_department(actor) -> str | None:
    """The department an officer reviews for, if the officer holds the review permission."""
    if not getattr(actor, "pk", None) or not actor.is_officer:
        return None
    kind = actor.organization.kind
    if kind not in Department.values or not actor.has_perm(REVIEW_PERMISSION):
        return None
    return kind


def comparable_values(version: EnterpriseFilingVersion) -> dict[str, Any]:
    """The reviewed values of ``version`` in a form fit for the audit trail and for comparison:
    personal (encrypted) fields are replaced by their keyed hash, never stored in clear."""
    values: dict[str, Any] = {}
    for name in EDITABLE_FIELDS:
        if name in ENCRYPTED_FIELDS:
            values[name] = crypto.blind_index(getattr(version, name) or "", ENCRYPTED_FIELDS[name])
        elif name == "park":
            values[name] = version.park_id
        elif name == "roles":
            values[name] = sorted(version.roles or [])
        else:
            values[name] = getattr(version, name)
    return values


def _last_submitted_values(version: EnterpriseFilingVersion) -> dict[str, Any] | None:
    event = (AuditEvent.objects.filter(action="filings.enterprisefiling.submit", extra__version=version.pk)
             .order_by("-id").first())
    return event.extra.get("submitted") if event else None


def _lock_filing(filing_id: int) -> EnterpriseFiling:
    return EnterpriseFiling.objects.select_for_update().select_related("organization").get(pk=filing_id)


def _lock_version(version_id: int) -> EnterpriseFilingVersion:
    return EnterpriseFilingVersion.objects.select_for_update().get(pk=version_id)


def _next_filing_no(now) -> str:
    """``ZF`` + year + a six-digit number from a PostgreSQL sequence: unique, never reused (a
    rolled-back transaction leaves a gap, which is harmless)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(%s)", [FILING_NO_SEQUENCE])
        (number,) = cursor.fetchone()
    return f"ZF{now.year}{number:06d}"


def _send_on_commit(signal, **kwargs) -> None:
    transaction.on_commit(functools.partial(signal.send, sender=EnterpriseFiling, **kwargs))


def _notify(filing: EnterpriseFiling, verb: str, title: str, body: str) -> None:
    notify(organization=filing.organization, verb=f"filings.enterprisefiling.{verb}", title=title, body=body)


def _audit(actor, verb: str, filing: EnterpriseFiling, changes=None, **extra) -> None:
    audit_record(actor=actor, action=f"filings.enterprisefiling.{verb}", target=filing,
                 organization_id=filing.organization_id, changes=changes, extra=extra or None)


# --- validation ---------------------------------------------------------------------------------

def _error(errors: list[dict[str, str]], field: str, code: str, message) -> None:
    errors.append({"field": field, "code": code, "message": str(message)})


def _validation_messages(exc: ValidationError) -> list[tuple[str, str]]:
    return [(e.code or "invalid", " ".join(str(m) for m in e.messages)) for e in exc.error_list]


def _clean(organization: Organization, values: dict[str, Any]) -> None:
    """Check a complete set of version values; raise one error listing every bad field."""
    errors: list[dict[str, str]] = []
    for name in REQUIRED_FIELDS:
        if not values.get(name):
            _error(errors, name, "required", _("This field is required."))
    roles_ = values.get("roles") or []
    bad_roles = [r for r in roles_ if r not in EnterpriseRole.values]
    if bad_roles:
        _error(errors, "roles", "invalid_role",
               _("Unknown role: %(roles)s.") % {"roles": ", ".join(map(str, bad_roles))})
    uscc = values.get("uscc") or ""
    if uscc:
        try:
            validate_uscc(uscc)
        except ValidationError as exc:
            for code, message in _validation_messages(exc):
                _error(errors, "uscc", code, message)
        else:
            if uscc != organization.uscc:
                _error(errors, "uscc", "uscc_mismatch",
                       _("The unified social credit code must be the one your enterprise registered with."))
    for name, validator in (("customs_code", validate_customs_code), ("contact_mobile", validate_mobile),
                            ("contact_email", validate_email)):
        if values.get(name):
            try:
                validator(values[name])
            except ValidationError as exc:
                for code, message in _validation_messages(exc):
                    _error(errors, name, code, message)
    if EnterpriseRole.PAYMENT in roles_ and not values.get("payment_licence_no"):
        _error(errors, "payment_licence_no", "required_for_role",
               _("A payment enterprise must give its payment business licence number."))
    if EnterpriseRole.LOGISTICS in roles_ and not values.get("express_permit_no"):
        _error(errors, "express_permit_no", "required_for_role",
               _("A logistics enterprise must give its express business permit number."))
    if EnterpriseRole.EBP in roles_ and not (values.get("platform_domain") or values.get("platform_app_name")):
        _error(errors, "platform_domain", "required_for_role",
               _("An e-commerce platform must give its domain or its app name."))
    if values.get("handles_foreign_currency"):
        for name in ("bank_name", "bank_account"):
            if not values.get(name):
                _error(errors, name, "required_for_foreign_currency",
                       _("An enterprise that receives or pays foreign currency must give its bank and account."))
    if errors:
        raise FilingValidationError(errors)


def _normalise(data: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, str]]]:
    errors: list[dict[str, str]] = []
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key not in EDITABLE_FIELDS:
            _error(errors, key, "unknown_field", _("This field cannot be set on a filing."))
            continue
        if key == "park":
            out["park_id"] = getattr(value, "pk", value) or None
        elif key == "roles":
            out["roles"] = sorted(set(value or []))
        elif key in BOOLEAN_FIELDS:
            out[key] = bool(value)
        elif key == "uscc":
            out[key] = (value or "").strip().upper()
        else:
            out[key] = (value or "").strip() if isinstance(value, str) or value is None else value
    return out, errors


# --- services -----------------------------------------------------------------------------------

@transaction.atomic
def enterprise_filing_save_draft(*, actor, organization: Organization, data: dict[str, Any]
                                 ) -> EnterpriseFilingVersion:
    """Save the enterprise's application: create its filing and draft on first use, otherwise
    update the open draft or returned version. Every field is checked and all errors are raised
    together; an enterprise with a filed filing starts a change (变更) first."""
    _require_member(actor, organization)
    values, errors = _normalise(data)
    if errors:
        raise FilingValidationError(errors)
    filing, _created = EnterpriseFiling.objects.get_or_create(organization=organization)
    filing = _lock_filing(filing.pk)
    if filing.status == EnterpriseFiling.Status.REVOKED:
        raise FilingStateError(_("This filing has been revoked and can no longer be edited."))
    version = (EnterpriseFilingVersion.objects.select_for_update().filter(filing=filing, status__in=OPEN_STATUSES)
               .first())
    if version is None and filing.status == EnterpriseFiling.Status.FILED:
        raise FilingStateError(_("Your enterprise is filed; start a change to edit the filing."))
    if version is None and filing.status == EnterpriseFiling.Status.REJECTED:
        # A rejected first application may be applied for again as a new version.
        last = filing.versions.order_by("-number").first()
        version = _copy_version(last, number=last.number + 1, actor=actor) if last else None
    if version is not None and version.status == EnterpriseFilingVersion.Status.UNDER_REVIEW:
        raise FilingStateError(_("The application is under review and cannot be edited now."))
    is_new = version is None
    if is_new:
        version = EnterpriseFilingVersion(filing=filing, number=1, created_by=actor, roles=[])
    before = snapshot(version, EDITABLE_FIELDS) if not is_new else {}
    for key, value in values.items():
        setattr(version, key, value)
    _clean(organization, {name: getattr(version, "park_id" if name == "park" else name)
                          for name in EDITABLE_FIELDS})
    version.save()
    _audit(actor, "save_draft", filing, changes=diff(before, snapshot(version, EDITABLE_FIELDS)),
           version=version.pk)
    return version


def _copy_version(source: EnterpriseFilingVersion, *, number: int, actor) -> EnterpriseFilingVersion:
    copy = EnterpriseFilingVersion(filing=source.filing, number=number, created_by=actor,
                                   status=EnterpriseFilingVersion.Status.DRAFT)
    for name in EDITABLE_FIELDS:
        attr = "park_id" if name == "park" else name
        setattr(copy, attr, getattr(source, attr))
    copy.roles = list(source.roles)
    copy.save()
    # The documents on file carry over to the change (the stored files are never rewritten or
    # deleted, so both versions may point at the same one); the enterprise adds newer ones.
    FilingAttachment.objects.bulk_create([
        FilingAttachment(version=copy, kind=a.kind, file=a.file.name, original_name=a.original_name,
                         content_type=a.content_type, size=a.size, sha256=a.sha256, uploaded_by=a.uploaded_by)
        for a in source.attachments.all()
    ])
    return copy


def required_departments(version: EnterpriseFilingVersion) -> set[str]:
    """The departments that must approve ``version``, from the active rules of the matrix: the
    rules of each role applied for, plus the foreign-currency and overseas-warehouse rules when
    the application says so."""
    rules = ReviewRule.objects.filter(is_active=True)
    departments = set(rules.filter(trigger=ReviewRule.Trigger.ROLE, role__in=version.roles)
                      .values_list("department", flat=True))
    if version.handles_foreign_currency:
        departments |= set(rules.filter(trigger=ReviewRule.Trigger.FOREIGN_CURRENCY)
                           .values_list("department", flat=True))
    if version.operates_overseas_warehouse:
        departments |= set(rules.filter(trigger=ReviewRule.Trigger.OVERSEAS_WAREHOUSE)
                           .values_list("department", flat=True))
    return departments


@transaction.atomic
def enterprise_filing_submit(*, actor, version: EnterpriseFilingVersion) -> EnterpriseFilingVersion:
    """Submit a draft or returned version for review by every department the matrix requires.

    On resubmission of a returned version the departments that returned it re-review, and so does
    each department whose reviewed fields changed since the last submission; other decisions stand.
    """
    filing = _lock_filing(version.filing_id)
    _require_member(actor, filing.organization)
    version = _lock_version(version.pk)
    if version.status not in (EnterpriseFilingVersion.Status.DRAFT, EnterpriseFilingVersion.Status.RETURNED):
        raise FilingStateError(_("Only a draft or a returned application can be submitted."))
    _clean(filing.organization, comparable_values(version) | {
        name: getattr(version, name) for name in ENCRYPTED_FIELDS})
    required = required_departments(version)
    if not required:
        raise FilingStateError(_("No department reviews these roles; please contact the zone administrator."))
    current = comparable_values(version)
    resubmission = version.status == EnterpriseFilingVersion.Status.RETURNED
    restarted: list[str] = []
    if resubmission:
        previous = _last_submitted_values(version) or {}
        changed = {name for name in EDITABLE_FIELDS if previous.get(name) != current.get(name)}
        existing = {r.department: r for r in version.reviews.select_for_update()}
        for department, review in existing.items():
            if department not in required:
                review.delete()
        for department in sorted(required):
            review = existing.get(department)
            if review is None:
                DepartmentReview.objects.create(version=version, department=department)
                restarted.append(department)
            elif review.decision in (DepartmentReview.Decision.RETURNED, DepartmentReview.Decision.REJECTED) or (
                    review.decision == DepartmentReview.Decision.APPROVED
                    and changed & DEPARTMENT_SECTIONS[department]):
                review.decision = DepartmentReview.Decision.PENDING
                review.reason, review.fields_to_fix = "", []
                review.decided_by, review.decided_at = None, None
                review.round += 1
                review.save()
                restarted.append(department)
    else:
        DepartmentReview.objects.bulk_create(
            [DepartmentReview(version=version, department=d) for d in sorted(required)])
        restarted = sorted(required)
    now = timezone.now()
    old_status = version.status
    version.status = EnterpriseFilingVersion.Status.UNDER_REVIEW
    version.submitted_at = now
    version.save(update_fields=["status", "submitted_at"])
    if filing.effective_version_id is None:
        filing.status = EnterpriseFiling.Status.UNDER_REVIEW
        filing.save(update_fields=["status", "updated_at"])
    _audit(actor, "submit", filing, changes={"status": [old_status, version.status]}, version=version.pk,
           submitted=current, reviewing=restarted)
    _notify(filing, "submit", _("Filing application submitted"),
            _("Your filing application (version %(n)d) was submitted and is now under review.")
            % {"n": version.number})
    _send_on_commit(signals.enterprise_filing_submitted, filing=filing, version=version)
    return version


@transaction.atomic
def enterprise_filing_decide(*, actor, review: DepartmentReview, decision: str, reason: str = "",
                             fields_to_fix=()) -> DepartmentReview:
    """Record one department's decision on a version under review.

    Only an officer of that department with the review permission decides, once, while the version
    is under review. A rejection rejects the version, a return sends it back to the enterprise;
    when every department has approved, the version comes into force (first filing: a filing
    number is assigned; change: the previous version is superseded).
    """
    department = officer_review_department(actor)
    if department is None:
        raise PermissionDenied(_("You may not review enterprise filings."))
    if department != review.department:
        raise NotYourDepartment(_("You may only decide for your own department."))
    valid = {c for c in DepartmentReview.Decision.values if c != DepartmentReview.Decision.PENDING}
    if decision not in valid:
        raise ApplicationError(_("Choose approve, reject or return."), code="invalid_decision", field="decision")
    reason = (reason or "").strip()
    fields_to_fix = sorted(set(fields_to_fix or ()))
    if decision != DepartmentReview.Decision.APPROVED and not reason:
        raise ReasonRequired(_("Give the reason for your decision."), field="reason")
    if decision == DepartmentReview.Decision.RETURNED:
        if not fields_to_fix:
            raise FieldsToFixRequired(_("Name the fields the enterprise must correct."), field="fields_to_fix")
        unknown = [f for f in fields_to_fix if f not in EDITABLE_FIELDS]
        if unknown:
            raise FieldsToFixRequired(_("Unknown field: %(fields)s.") % {"fields": ", ".join(unknown)},
                                      code="invalid_fields_to_fix", field="fields_to_fix")
    else:
        fields_to_fix = []

    version = EnterpriseFilingVersion.objects.get(pk=review.version_id)
    filing = _lock_filing(version.filing_id)
    version = _lock_version(version.pk)
    review = DepartmentReview.objects.select_for_update().get(pk=review.pk)
    if version.status != EnterpriseFilingVersion.Status.UNDER_REVIEW:
        raise FilingNotUnderReview(_("This application is not under review."))
    if review.decision != DepartmentReview.Decision.PENDING:
        raise ReviewNotPending(_("Your department has already decided on this application."))

    now = timezone.now()
    review.decision, review.reason, review.fields_to_fix = decision, reason, fields_to_fix
    review.decided_by, review.decided_at = actor, now
    review.save()
    _audit(actor, "decide", filing, changes={"decision": [DepartmentReview.Decision.PENDING, decision]},
           version=version.pk, department=review.department, reason=reason, fields_to_fix=fields_to_fix)
    department_label = review.get_department_display()
    _send_on_commit(signals.enterprise_filing_decided, filing=filing, version=version, review=review)

    old_version_status, old_filing_status = version.status, filing.status
    if decision == DepartmentReview.Decision.REJECTED:
        version.status, version.decided_at = EnterpriseFilingVersion.Status.REJECTED, now
        if filing.effective_version_id is None:
            filing.status = EnterpriseFiling.Status.REJECTED
        verb, signal = "reject", signals.enterprise_filing_rejected
        title = _("Filing application rejected")
        body = _("%(department)s rejected your filing application: %(reason)s") % {
            "department": department_label, "reason": reason}
    elif decision == DepartmentReview.Decision.RETURNED:
        version.status = EnterpriseFilingVersion.Status.RETURNED
        if filing.effective_version_id is None:
            filing.status = EnterpriseFiling.Status.RETURNED
        verb, signal = "return", signals.enterprise_filing_returned
        title = _("Filing application returned for correction")
        body = _("%(department)s returned your filing application: %(reason)s Fields to correct: %(fields)s.") % {
            "department": department_label, "reason": reason, "fields": ", ".join(fields_to_fix)}
    elif version.reviews.exclude(decision=DepartmentReview.Decision.APPROVED).exists():
        _notify(filing, "decide", _("A department approved your filing application"),
                _("%(department)s approved your filing application; other departments are still reviewing it.")
                % {"department": department_label})
        return review
    else:
        version.status, version.decided_at = EnterpriseFilingVersion.Status.APPROVED, now
        if filing.effective_version_id is None:
            filing.filing_no = filing.filing_no or _next_filing_no(now)
            filing.filed_at = now
            verb, signal = "file", signals.enterprise_filing_filed
            title = _("Your enterprise is filed")
            body = _("Every department approved your filing. Your filing number is %(no)s.") % {
                "no": filing.filing_no}
        else:
            EnterpriseFilingVersion.objects.filter(pk=filing.effective_version_id).update(
                status=EnterpriseFilingVersion.Status.SUPERSEDED)
            verb, signal = "change", signals.enterprise_filing_changed
            title = _("Your filing change is in force")
            body = _("Every department approved the change (version %(n)d) of your filing.") % {"n": version.number}
        filing.effective_version = version
        filing.status = EnterpriseFiling.Status.FILED
    version.save(update_fields=["status", "decided_at"])
    filing.save()
    _audit(actor, verb, filing, changes=diff({"version_status": old_version_status, "status": old_filing_status,
                                              "filing_no": None if verb == "file" else filing.filing_no},
                                             {"version_status": version.status, "status": filing.status,
                                              "filing_no": filing.filing_no}),
           version=version.pk)
    _notify(filing, verb, title, body)
    _send_on_commit(signal, filing=filing, version=version)
    return review


@transaction.atomic
def enterprise_filing_start_change(*, actor, filing: EnterpriseFiling) -> EnterpriseFilingVersion:
    """Start a change (变更) of a filed filing: a new draft copied from the version in force, which
    stays in force until every required department approves the change."""
    filing = _lock_filing(filing.pk)
    _require_member(actor, filing.organization)
    if filing.status != EnterpriseFiling.Status.FILED:
        raise FilingStateError(_("Only a filed enterprise can change its filing."))
    if filing.versions.filter(status__in=OPEN_STATUSES).exists():
        raise FilingStateError(_("A change of this filing is already in progress."))
    number = (filing.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = _copy_version(filing.effective_version, number=number, actor=actor)
    _audit(actor, "start_change", filing, version=version.pk, copied_from=filing.effective_version_id)
    return version


@transaction.atomic
def enterprise_filing_revoke(*, actor, filing: EnterpriseFiling, reason: str = "") -> EnterpriseFiling:
    """Revoke (注销) a filed filing: by an administrator of the enterprise, or with a reason by an
    officer of a department that reviews it. A change in progress is withdrawn."""
    filing = _lock_filing(filing.pk)
    reason = (reason or "").strip()
    department = officer_review_department(actor)
    by_department = department is not None and DepartmentReview.objects.filter(
        version__filing=filing, department=department).exists()
    if not (by_department or _is_enterprise_admin(actor, filing.organization)):
        raise PermissionDenied(_("You may not revoke this filing."))
    if by_department and not reason:
        raise ReasonRequired(_("Give the reason for the revocation."), field="reason")
    if filing.status != EnterpriseFiling.Status.FILED:
        raise FilingStateError(_("Only a filed enterprise can be revoked."))
    filing.versions.filter(status__in=OPEN_STATUSES).update(status=EnterpriseFilingVersion.Status.WITHDRAWN)
    filing.status, filing.revoked_at, filing.revoke_reason = EnterpriseFiling.Status.REVOKED, timezone.now(), reason
    filing.save()
    _audit(actor, "revoke", filing, changes={"status": [EnterpriseFiling.Status.FILED, filing.status]},
           reason=reason, by_department=department if by_department else "")
    _notify(filing, "revoke", _("Your filing was revoked"),
            _("Your enterprise filing %(no)s was revoked. %(reason)s") % {"no": filing.filing_no, "reason": reason})
    _send_on_commit(signals.enterprise_filing_revoked, filing=filing, version=filing.effective_version)
    return filing


@transaction.atomic
def reviewrule_save(*, actor, rule: ReviewRule) -> ReviewRule:
    """Save a cell of the role-to-department matrix (zone administrator) with its audit event."""
    if not (getattr(actor, "pk", None) and actor.has_perm("filings.change_reviewrule")):
        raise PermissionDenied(_("You may not edit the review matrix."))
    before = snapshot(ReviewRule.objects.get(pk=rule.pk)) if rule.pk else {}
    rule.full_clean()
    rule.save()
    audit_record(actor=actor, action="filings.reviewrule.save", target=rule, changes=diff(before, snapshot(rule)))
    return rule
