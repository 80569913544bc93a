"""Enterprise filing services and selectors: validation, the matrix, every transition (legal and
illegal), resubmission, change, revocation, notifications, audit, scoping and the public look-up."""

import datetime as dt
import time

import pytest
from django.core import mail
from django.http import Http404

from filings import selectors, services
from filings.models import (
    Department,
    DepartmentReview,
    EnterpriseFiling,
    EnterpriseFilingVersion,
    ReviewRule,
)
from tests.accounts.factories import DepartmentFactory, OfficerFactory, OrganizationFactory, UserFactory
from tests.filings.factories import (
    EnterpriseFilingVersionFactory,
    FilingAttachmentFactory,
    ensure_default_review_rules,
)
from zone_portal.accounts import roles
from zone_portal.accounts.models import Notification, Organization
from zone_portal.audit.models import AuditEvent
from zone_portal.core.errors import PermissionDenied

D = DepartmentReview.Decision

OFFICER_ROLE = {"customs": roles.CUSTOMS_OFFICER, "tax": roles.TAX_OFFICER, "forex": roles.FOREX_OFFICER,
                "commerce": roles.COMMERCE_OFFICER, "market": roles.MARKET_OFFICER}


def make_officers():
    """One officer of each reviewing department, by department."""
    out = {}
    for kind, role in OFFICER_ROLE.items():
        dept = DepartmentFactory(kind=kind, name=f"{kind} dept")
        out[kind] = OfficerFactory(username=f"{kind}_off", organization=dept, role=role)
    return out


@pytest.fixture
def officers(db):
    return make_officers()


def application(org, **overrides):
    data = {
        "roles": ["ebc"], "uscc": org.uscc, "name": org.name, "legal_representative": "王法人",
        "registered_address": "杭州市滨江区网商路699号", "contact_name": "张三", "contact_mobile": "13812345678",
        "contact_email": "filing@example.com", "business_scope": "跨境电子商务零售进出口",
    }
    data.update(overrides)
    return data


def submit_new(user, org, **overrides):
    version = services.enterprise_filing_save_draft(actor=user, organization=org, data=application(org, **overrides))
    return services.enterprise_filing_submit(actor=user, version=version)


def review_of(version, department):
    return DepartmentReview.objects.get(version=version, department=department)


def decide(officers, version, department, decision=D.APPROVED, **kw):
    return services.enterprise_filing_decide(actor=officers[department], review=review_of(version, department),
                                             decision=decision, **kw)


def file_it(user, org, officers, **overrides):
    version = submit_new(user, org, **overrides)
    for review in version.reviews.all():
        decide(officers, version, review.department)
    return EnterpriseFiling.objects.get(organization=org)


# --- validation --------------------------------------------------------------------------------

def test_save_draft_creates_filing_and_draft(user_a, org_a):
    version = services.enterprise_filing_save_draft(actor=user_a, organization=org_a, data=application(org_a))
    assert version.status == EnterpriseFilingVersion.Status.DRAFT and version.number == 1
    assert version.filing.organization == org_a and version.filing.status == EnterpriseFiling.Status.DRAFT
    assert AuditEvent.objects.filter(action="filings.enterprisefiling.save_draft").count() == 1


def test_save_draft_reports_every_field_error(user_a, org_a):
    data = application(org_a, uscc="91330100MA27XXXXX1", customs_code="abc", contact_mobile="12345",
                       contact_email="not-an-email", roles=["payment", "logistics", "ebp", "pirate"],
                       handles_foreign_currency=True, contact_name="")
    with pytest.raises(services.FilingValidationError) as exc:
        services.enterprise_filing_save_draft(actor=user_a, organization=org_a, data=data)
    fields = {(e["field"], e["code"]) for e in exc.value.errors}
    assert exc.value.code == "validation_error"
    assert {("contact_name", "required"), ("roles", "invalid_role"), ("customs_code", "customs_code_format"),
            ("contact_mobile", "mobile_format"), ("contact_email", "invalid"),
            ("payment_licence_no", "required_for_role"), ("express_permit_no", "required_for_role"),
            ("platform_domain", "required_for_role"), ("bank_name", "required_for_foreign_currency"),
            ("bank_account", "required_for_foreign_currency")} <= fields
    assert any(f == "uscc" for f, _ in fields)
    assert all(e["message"] for e in exc.value.errors)
    assert not EnterpriseFilingVersion.objects.exists()


def test_uscc_must_be_the_organizations(user_a, org_a, org_b):
    with pytest.raises(services.FilingValidationError) as exc:
        services.enterprise_filing_save_draft(actor=user_a, organization=org_a,
                                              data=application(org_a, uscc=org_b.uscc))
    assert exc.value.errors == [{"field": "uscc", "code": "uscc_mismatch", "message": exc.value.errors[0]["message"]}]


def test_other_enterprise_cannot_save_draft(user_b, org_a):
    with pytest.raises(PermissionDenied):
        services.enterprise_filing_save_draft(actor=user_b, organization=org_a, data=application(org_a))
    assert not EnterpriseFiling.objects.exists()


# --- matrix ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("roles_", "flags", "expected"), [
    (["ebc"], {}, {"customs", "tax"}),
    (["ebp"], {}, {"customs", "commerce"}),
    (["fts"], {}, {"customs", "tax"}),
    (["producer"], {}, {"customs", "market"}),
    (["logistics"], {}, {"customs"}),
    (["logistics"], {"handles_foreign_currency": True}, {"customs", "forex"}),
    (["warehouse"], {"operates_overseas_warehouse": True}, {"customs", "commerce"}),
    (["ebc", "producer"], {"handles_foreign_currency": True}, {"customs", "tax", "market", "forex"}),
])
def test_default_matrix(db, roles_, flags, expected):
    version = EnterpriseFilingVersionFactory(roles=roles_, **flags)
    assert services.required_departments(version) == expected


def test_edited_rule_changes_required_departments(db):
    version = EnterpriseFilingVersionFactory(roles=["logistics"])
    ReviewRule.objects.create(trigger="role", role="logistics", department="commerce")
    ReviewRule.objects.filter(trigger="role", role="logistics", department="customs").update(is_active=False)
    assert services.required_departments(version) == {"commerce"}


# --- transitions -------------------------------------------------------------------------------

def test_submit_creates_pending_reviews_and_notifies(user_a, org_a):
    version = submit_new(user_a, org_a)
    assert version.status == EnterpriseFilingVersion.Status.UNDER_REVIEW and version.submitted_at
    assert set(version.reviews.values_list("department", "decision")) == {("customs", "pending"), ("tax", "pending")}
    assert EnterpriseFiling.objects.get(organization=org_a).status == EnterpriseFiling.Status.UNDER_REVIEW
    assert Notification.objects.filter(organization=org_a, verb="filings.enterprisefiling.submit").exists()
    event = AuditEvent.objects.get(action="filings.enterprisefiling.submit")
    # personal data is hashed in the submitted snapshot, never stored in clear
    assert "13812345678" not in str(event.extra) and "张三" not in str(event.extra)


def test_all_approvals_file_with_number_once(user_a, org_a, org_b, user_b, officers):
    version = submit_new(user_a, org_a)
    decide(officers, version, "customs")
    filing = EnterpriseFiling.objects.get(organization=org_a)
    assert filing.status == EnterpriseFiling.Status.UNDER_REVIEW and filing.filing_no is None
    decide(officers, version, "tax")
    filing.refresh_from_db()
    version.refresh_from_db()
    assert filing.status == EnterpriseFiling.Status.FILED and filing.effective_version == version
    assert version.status == EnterpriseFilingVersion.Status.APPROVED
    assert filing.filing_no.startswith(f"ZF{filing.filed_at.year}") and len(filing.filing_no) == 12
    assert AuditEvent.objects.filter(action="filings.enterprisefiling.file").count() == 1
    assert Notification.objects.filter(organization=org_a, verb="filings.enterprisefiling.file").exists()
    filing_b = file_it(user_b, org_b, officers)
    assert filing_b.filing_no != filing.filing_no
    # a change approved later keeps the number
    services.enterprise_filing_start_change(actor=user_a, filing=filing)
    draft = filing.versions.get(status="draft")
    services.enterprise_filing_save_draft(actor=user_a, organization=org_a, data={"name_en": "A Ltd."})
    services.enterprise_filing_submit(actor=user_a, version=draft)
    for review in draft.reviews.all():
        decide(officers, draft, review.department)
    number = filing.filing_no
    filing.refresh_from_db()
    assert filing.filing_no == number


def test_rejection_rejects_and_blocks_other_department(user_a, org_a, officers):
    version = submit_new(user_a, org_a)
    decide(officers, version, "tax", D.REJECTED, reason="不符合退税资格")
    version.refresh_from_db()
    assert version.status == EnterpriseFilingVersion.Status.REJECTED
    assert EnterpriseFiling.objects.get(organization=org_a).status == EnterpriseFiling.Status.REJECTED
    with pytest.raises(services.FilingNotUnderReview) as exc:
        decide(officers, version, "customs")
    assert exc.value.code == "filing_not_under_review"
    assert review_of(version, "customs").decision == D.PENDING
    assert Notification.objects.filter(organization=org_a, verb="filings.enterprisefiling.reject").exists()


def test_refusals_need_reason_and_fields(user_a, org_a, officers):
    version = submit_new(user_a, org_a)
    with pytest.raises(services.ReasonRequired):
        decide(officers, version, "tax", D.REJECTED)
    with pytest.raises(services.FieldsToFixRequired):
        decide(officers, version, "tax", D.RETURNED, reason="补充")
    with pytest.raises(services.FieldsToFixRequired) as exc:
        decide(officers, version, "tax", D.RETURNED, reason="补充", fields_to_fix=["shoe_size"])
    assert exc.value.code == "invalid_fields_to_fix"
    assert review_of(version, "tax").decision == D.PENDING


def test_tax_officer_cannot_decide_for_customs(user_a, org_a, officers):
    version = submit_new(user_a, org_a)
    before = AuditEvent.objects.count()
    with pytest.raises(PermissionDenied) as exc:
        services.enterprise_filing_decide(actor=officers["tax"], review=review_of(version, "customs"),
                                          decision=D.APPROVED)
    assert exc.value.code == "not_your_department"
    assert review_of(version, "customs").decision == D.PENDING
    assert AuditEvent.objects.count() == before


def test_officer_without_permission_and_enterprise_cannot_decide(user_a, org_a, officer_without_perm):
    version = submit_new(user_a, org_a)
    for actor in (officer_without_perm, user_a):
        with pytest.raises(PermissionDenied):
            services.enterprise_filing_decide(actor=actor, review=review_of(version, "customs"), decision=D.APPROVED)


def test_review_decided_once(user_a, org_a, officers):
    version = submit_new(user_a, org_a)
    decide(officers, version, "customs")
    with pytest.raises(services.ReviewNotPending):
        decide(officers, version, "customs", D.REJECTED, reason="再想想")


def test_returned_cannot_be_decided_until_resubmitted(user_a, org_a, officers):
    version = submit_new(user_a, org_a)
    decide(officers, version, "customs", D.RETURNED, reason="地址不完整", fields_to_fix=["registered_address"])
    version.refresh_from_db()
    assert version.status == EnterpriseFilingVersion.Status.RETURNED
    assert EnterpriseFiling.objects.get(organization=org_a).status == EnterpriseFiling.Status.RETURNED
    with pytest.raises(services.FilingNotUnderReview):
        decide(officers, version, "tax")
    services.enterprise_filing_save_draft(actor=user_a, organization=org_a,
                                          data={"registered_address": "杭州市滨江区网商路699号1号楼"})
    services.enterprise_filing_submit(actor=user_a, version=version)
    decide(officers, version, "tax")
    decide(officers, version, "customs")
    assert EnterpriseFiling.objects.get(organization=org_a).status == EnterpriseFiling.Status.FILED


def test_resubmission_restarts_only_changed_sections_and_refusing_department(user_a, org_a, officers):
    version = submit_new(user_a, org_a, roles=["ebc", "ebp"], platform_domain="shop.example.com",
                         handles_foreign_currency=True, bank_name="中国银行", bank_account="6222000011112222")
    assert set(version.reviews.values_list("department", flat=True)) == {"customs", "tax", "commerce", "forex"}
    decide(officers, version, "tax")
    decide(officers, version, "forex")
    decide(officers, version, "commerce", D.RETURNED, reason="域名未备案", fields_to_fix=["platform_domain"])
    # customs still pending; the enterprise fixes the platform domain and changes the bank account
    services.enterprise_filing_save_draft(actor=user_a, organization=org_a,
                                          data={"platform_domain": "shop2.example.com",
                                                "bank_account": "6222000099998888"})
    services.enterprise_filing_submit(actor=user_a, version=version)
    decisions = dict(version.reviews.values_list("department", "decision"))
    # commerce returned → re-reviews; forex and tax review the bank account → restart; customs pending
    assert decisions == {"customs": "pending", "commerce": "pending", "forex": "pending", "tax": "pending"}
    assert review_of(version, "commerce").round == 2


def test_resubmission_keeps_unchanged_approvals(user_a, org_a, officers):
    version = submit_new(user_a, org_a, roles=["ebc", "ebp"], platform_domain="shop.example.com",
                         handles_foreign_currency=True, bank_name="中国银行", bank_account="6222000011112222")
    decide(officers, version, "tax")
    decide(officers, version, "forex")
    decide(officers, version, "commerce", D.RETURNED, reason="域名未备案", fields_to_fix=["platform_domain"])
    services.enterprise_filing_save_draft(actor=user_a, organization=org_a, data={"platform_domain": "s2.example.com"})
    services.enterprise_filing_submit(actor=user_a, version=version)
    decisions = dict(version.reviews.values_list("department", "decision"))
    assert decisions == {"customs": "pending", "commerce": "pending", "forex": "approved", "tax": "approved"}
    assert review_of(version, "tax").round == 1
    decide(officers, version, "commerce")
    decide(officers, version, "customs")
    assert EnterpriseFiling.objects.get(organization=org_a).status == EnterpriseFiling.Status.FILED


def test_change_keeps_effective_version_until_approved(user_a, org_a, officers):
    filing = file_it(user_a, org_a, officers)
    first = filing.effective_version
    with pytest.raises(services.FilingStateError):
        services.enterprise_filing_save_draft(actor=user_a, organization=org_a, data={"name_en": "X"})
    change = services.enterprise_filing_start_change(actor=user_a, filing=filing)
    assert change.number == 2 and change.contact_mobile == "13812345678" and change.roles == first.roles
    with pytest.raises(services.FilingStateError):
        services.enterprise_filing_start_change(actor=user_a, filing=filing)
    services.enterprise_filing_save_draft(actor=user_a, organization=org_a, data={"roles": ["ebc", "producer"]})
    services.enterprise_filing_submit(actor=user_a, version=change)
    filing.refresh_from_db()
    assert filing.status == EnterpriseFiling.Status.FILED and filing.effective_version == first
    assert selectors.enterprise_filing_status_by_uscc(org_a.uscc)["roles"] == ["ebc"]
    decide(officers, change, "customs")
    decide(officers, change, "tax")
    filing.refresh_from_db()
    assert filing.effective_version == first  # market still pending
    decide(officers, change, "market")
    filing.refresh_from_db()
    first.refresh_from_db()
    assert filing.effective_version == change and first.status == EnterpriseFilingVersion.Status.SUPERSEDED
    assert selectors.enterprise_filing_status_by_uscc(org_a.uscc)["roles"] == ["ebc", "producer"]
    assert AuditEvent.objects.filter(action="filings.enterprisefiling.change").count() == 1


def test_change_carries_the_attachments_over(user_a, org_a, officers):
    filing = file_it(user_a, org_a, officers)
    licence = FilingAttachmentFactory(version=filing.effective_version)
    change = services.enterprise_filing_start_change(actor=user_a, filing=filing)
    copied = change.attachments.get()
    assert (copied.kind, copied.sha256, copied.file.name) == (licence.kind, licence.sha256, licence.file.name)
    assert filing.effective_version.attachments.count() == 1  # the version in force keeps its own


def test_review_time_limit_is_a_setting(user_a, org_a, settings):
    version = submit_new(user_a, org_a)
    review = version.reviews.first()
    friday = dt.datetime(2026, 11, 20, 10, tzinfo=dt.UTC)
    EnterpriseFilingVersion.objects.filter(pk=version.pk).update(submitted_at=friday)
    review.refresh_from_db()
    tuesday = friday + dt.timedelta(days=4)  # 2 working days
    assert not selectors.review_is_overdue(review, now=tuesday)
    settings.FILING_REVIEW_LIMIT_WORKING_DAYS = 1
    assert selectors.review_is_overdue(review, now=tuesday)


def test_rejected_change_leaves_filing_filed(user_a, org_a, officers):
    filing = file_it(user_a, org_a, officers)
    change = services.enterprise_filing_start_change(actor=user_a, filing=filing)
    services.enterprise_filing_submit(actor=user_a, version=change)
    decide(officers, change, "tax", D.REJECTED, reason="no")
    filing.refresh_from_db()
    change.refresh_from_db()
    assert filing.status == EnterpriseFiling.Status.FILED and change.status == EnterpriseFilingVersion.Status.REJECTED
    assert filing.effective_version.number == 1


def test_revocation_by_enterprise_admin_and_department(user_a, org_a, user_b, org_b, operator_a, officers):
    filing = file_it(user_a, org_a, officers)
    with pytest.raises(PermissionDenied):
        services.enterprise_filing_revoke(actor=operator_a, filing=filing)
    with pytest.raises(PermissionDenied):
        services.enterprise_filing_revoke(actor=officers["market"], filing=filing, reason="x")  # never reviewed it
    services.enterprise_filing_revoke(actor=user_a, filing=filing)
    filing.refresh_from_db()
    assert filing.status == EnterpriseFiling.Status.REVOKED and filing.revoked_at
    assert Notification.objects.filter(organization=org_a, verb="filings.enterprisefiling.revoke").exists()
    assert selectors.enterprise_filing_status_by_uscc(org_a.uscc)["filed"] is False
    with pytest.raises(services.FilingStateError):
        services.enterprise_filing_revoke(actor=user_a, filing=filing)

    filing_b = file_it(user_b, org_b, officers)
    with pytest.raises(services.ReasonRequired):
        services.enterprise_filing_revoke(actor=officers["tax"], filing=filing_b)
    services.enterprise_filing_revoke(actor=officers["tax"], filing=filing_b, reason="虚开发票")
    filing_b.refresh_from_db()
    assert filing_b.status == EnterpriseFiling.Status.REVOKED and filing_b.revoke_reason == "虚开发票"


def test_signals_sent_after_commit(user_a, org_a, officers, django_capture_on_commit_callbacks):
    from filings import signals

    received = []

    def receiver(sender, filing, version, **kwargs):
        received.append((filing.pk, version.pk))

    signals.enterprise_filing_filed.connect(receiver)
    try:
        version = submit_new(user_a, org_a)
        decide(officers, version, "customs")
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            decide(officers, version, "tax")
        assert received == []
        for callback in callbacks:
            callback()
        assert received == [(version.filing_id, version.pk)]
    finally:
        signals.enterprise_filing_filed.disconnect(receiver)


# --- selectors ---------------------------------------------------------------------------------

def test_enterprise_b_sees_nothing_of_a(user_a, org_a, user_b):
    filing = submit_new(user_a, org_a).filing
    assert selectors.enterprise_filing_get_for_user(user=user_a, pk=filing.pk) == filing
    with pytest.raises(Http404):
        selectors.enterprise_filing_get_for_user(user=user_b, pk=filing.pk)
    assert list(selectors.enterprise_filing_list_for_user(user=user_b)) == []


def test_officers_see_filings_their_department_reviews(user_a, org_a, user_b, org_b, officers, zone_admin,
                                                       officer_without_perm):
    filing_a = submit_new(user_a, org_a).filing  # ebc: customs + tax
    filing_b = submit_new(user_b, org_b, roles=["logistics"], express_permit_no="KD123").filing  # customs only
    tax = officers["tax"]
    assert list(selectors.enterprise_filing_list_for_user(user=tax)) == [filing_a]
    with pytest.raises(Http404):
        selectors.enterprise_filing_get_for_user(user=tax, pk=filing_b.pk)
    assert set(selectors.enterprise_filing_list_for_user(user=officers["customs"])) == {filing_a, filing_b}
    assert set(selectors.enterprise_filing_list_for_user(user=zone_admin)) == {filing_a, filing_b}
    assert list(selectors.enterprise_filing_list_for_user(user=officer_without_perm)) == []
    assert list(selectors.enterprise_filing_list_for_user(user=zone_admin, filters={"role": "logistics"})) == [filing_b]
    queue = selectors.review_queue_for_department(department=Department.TAX)
    assert [r.version.filing for r in queue] == [filing_a]


def test_status_by_uscc(user_a, org_a, officers):
    unknown = selectors.enterprise_filing_status_by_uscc("91330100MA27XXXXX1")
    assert unknown["filed"] is False and unknown["filing_no"] is None
    filing = file_it(user_a, org_a, officers)
    status = selectors.enterprise_filing_status_by_uscc(org_a.uscc.lower())
    assert status == {"uscc": org_a.uscc, "filed": True, "status": "filed", "roles": ["ebc"],
                      "since": filing.filed_at, "filing_no": filing.filing_no}


def test_public_lookup_shows_nothing_personal(user_a, org_a, officers):
    file_it(user_a, org_a, officers, handles_foreign_currency=True, bank_name="中国银行",
            bank_account="6222000011112222")
    results = selectors.public_lookup(org_a.uscc)
    assert len(results) == 1
    assert set(results[0]) == {"name", "uscc", "roles", "status", "filed_at"}
    text = str(results)
    for personal in ("王", "张", "138", "5678", "filing@example.com", "6222", "2222", "*"):
        assert personal not in text
    assert selectors.public_lookup("甲跨境")[0]["uscc"] == org_a.uscc
    assert selectors.public_lookup("") == []


def test_draft_not_in_public_lookup(user_a, org_a):
    services.enterprise_filing_save_draft(actor=user_a, organization=org_a, data=application(org_a))
    assert selectors.public_lookup(org_a.uscc) == []


def test_working_days_age(user_a, org_a):
    version = submit_new(user_a, org_a)
    review = version.reviews.first()
    # submitted on a Friday; the following Wednesday is 3 working days later, Thursday is 4
    friday = dt.datetime(2026, 11, 20, 10, tzinfo=dt.UTC)
    EnterpriseFilingVersion.objects.filter(pk=version.pk).update(submitted_at=friday)
    review.refresh_from_db()
    wednesday, thursday = friday + dt.timedelta(days=5), friday + dt.timedelta(days=6)
    assert selectors.review_age_working_days(review, now=friday + dt.timedelta(days=3)) == 1
    assert selectors.review_age_working_days(review, now=wednesday) == 3
    assert not selectors.review_is_overdue(review, now=wednesday)
    assert selectors.review_is_overdue(review, now=thursday)


# --- email through the real worker -------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_filing_email_sent_by_real_worker(celery_worker):
    ensure_default_review_rules()  # an earlier transactional test's flush emptied the migration's rows
    org = OrganizationFactory(contact_email="contact@a.example.com")
    admin = UserFactory(organization=org, role=roles.ENTERPRISE_ADMIN, email="boss@a.example.com")
    customs = DepartmentFactory(kind=Organization.Kind.CUSTOMS)
    officer = OfficerFactory(organization=customs, role=roles.CUSTOMS_OFFICER)
    version = submit_new(admin, org, roles=["logistics"], express_permit_no="KD123")
    mail.outbox.clear()
    services.enterprise_filing_decide(actor=officer, review=review_of(version, "customs"), decision=D.APPROVED)
    title = Notification.objects.get(organization=org, verb="filings.enterprisefiling.file").title
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not any(m.subject == title for m in mail.outbox):
        time.sleep(0.1)
    filed = [m for m in mail.outbox if m.subject == title]
    assert len(filed) == 1
    assert sorted(filed[0].to) == ["boss@a.example.com", "contact@a.example.com"]
    assert EnterpriseFiling.objects.get(organization=org).filing_no in filed[0].body
