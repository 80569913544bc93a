"""End to end in Chromium: an enterprise submits its filing, a customs officer and a tax officer
approve it in the back office, and the enterprise sees it filed with its filing number."""

import pytest
from django.urls import reverse
from django.utils import translation

from filings.models import DepartmentReview, EnterpriseFiling, EnterpriseFilingVersion
from tests.accounts.factories import DepartmentFactory, OfficerFactory
from tests.filings.factories import ensure_default_review_rules
from zone_portal.accounts import roles
from zone_portal.accounts.models import Organization

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Passw0rd!Zone"


def _login(page, username):
    page.goto(reverse("accounts:login"))
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click(f"form[action='{reverse('accounts:login')}'] button[type=submit]")
    page.wait_for_url("**" + reverse("portal:dashboard"))


def _logout(page):
    page.goto(reverse("portal:dashboard"))
    page.locator("[data-bs-toggle=dropdown]").last.click()
    page.locator(f"form[action='{reverse('accounts:logout')}'] button").first.click()
    page.wait_for_url("**/")


def _label(choice) -> str:
    with translation.override("zh-hans"):
        return str(choice.label)


def _approve(page, screenshot, review, name):
    """Open the officer's queue, then the review, and approve it through the admin form."""
    page.goto(reverse("admin:filings_departmentreview_changelist"))
    assert review.version.name in page.content()
    change = reverse("admin:filings_departmentreview_change", args=[review.pk])
    page.click(f"a[href^='{change}']")
    page.wait_for_url("**" + change + "*")
    assert review.version.uscc in page.content()
    page.select_option("#id_decision", "approved")
    screenshot(f"filings-{name}-review")
    page.click("input[name=_save]")
    page.wait_for_url("**" + reverse("admin:filings_departmentreview_changelist") + "*")
    review.refresh_from_db()
    assert review.decision == DepartmentReview.Decision.APPROVED


def test_enterprise_submits_two_departments_approve_and_enterprise_sees_it_filed(
        page, screenshot, user_a, org_a):
    ensure_default_review_rules()
    customs_officer = OfficerFactory(username="customs_off", role=roles.CUSTOMS_OFFICER,
                                     organization=DepartmentFactory(kind=Organization.Kind.CUSTOMS, name="综试区海关"))
    tax_officer = OfficerFactory(username="tax_off", role=roles.TAX_OFFICER,
                                 organization=DepartmentFactory(kind=Organization.Kind.TAX, name="综试区税务局"))

    # The enterprise administrator fills in the application and submits it.
    _login(page, user_a.username)
    page.goto(reverse("filings:enterprise_filing_edit"))
    assert org_a.uscc in page.content()  # prefilled from the account, read-only
    page.check("input[name=roles][value=ebc]")
    page.fill("#id_legal_representative", "王法人")
    page.fill("#id_registered_address", "浙江省杭州市滨江区网商路699号")
    page.fill("#id_business_scope", "跨境电子商务零售进出口；货物进出口")
    page.fill("#id_contact_name", "张三")
    page.fill("#id_contact_mobile", "13812345678")
    page.fill("#id_contact_email", "filing@example.com")
    screenshot("filings-application")
    page.click("#filing-form button[name=action][value=submit]")
    page.wait_for_url("**" + reverse("filings:enterprise_filing"))
    filing = EnterpriseFiling.objects.get(organization=org_a)
    assert filing.status == EnterpriseFiling.Status.UNDER_REVIEW
    assert page.locator("#filing-status-badge").inner_text().strip() == _label(EnterpriseFiling.Status.UNDER_REVIEW)
    version = filing.versions.get()
    assert version.status == EnterpriseFilingVersion.Status.UNDER_REVIEW
    assert sorted(version.reviews.values_list("department", flat=True)) == ["customs", "tax"]
    screenshot("filings-under-review")
    _logout(page)

    # Customs approves; the filing still waits for tax.
    _login(page, customs_officer.username)
    _approve(page, screenshot, version.reviews.get(department="customs"), "customs")
    filing.refresh_from_db()
    assert filing.status == EnterpriseFiling.Status.UNDER_REVIEW and not filing.filing_no
    _logout(page)

    # Tax approves: the last pending department, so the filing is filed and numbered.
    _login(page, tax_officer.username)
    _approve(page, screenshot, version.reviews.get(department="tax"), "tax")
    _logout(page)
    filing.refresh_from_db()
    version.refresh_from_db()
    assert filing.status == EnterpriseFiling.Status.FILED and filing.filing_no
    assert version.status == EnterpriseFilingVersion.Status.APPROVED

    # The enterprise sees its filing number and the filed status.
    _login(page, user_a.username)
    page.goto(reverse("filings:enterprise_filing"))
    assert page.locator("#filing-no").inner_text().strip() == filing.filing_no
    assert org_a.uscc in page.content()  # the version in force is shown
    badge = page.locator("#filing-status-badge")
    assert badge.inner_text().strip() == _label(EnterpriseFiling.Status.FILED)
    assert "text-bg-success" in badge.get_attribute("class")
    screenshot("filings-filed")
