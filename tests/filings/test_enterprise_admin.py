"""The back office of enterprise filing: department queues, decisions through the service, the
matrix, and masked personal data."""

import datetime as dt

import pytest
from django.contrib import messages
from django.urls import reverse

from filings.models import DepartmentReview, EnterpriseFiling, EnterpriseFilingVersion, ReviewRule
from tests.filings.test_enterprise_services import make_officers, review_of, submit_new
from zone_portal.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

QUEUE = reverse("admin:filings_departmentreview_changelist")
D = DepartmentReview.Decision


@pytest.fixture
def officers(db):
    return make_officers()


def change_url(review):
    return reverse("admin:filings_departmentreview_change", args=[review.pk])


def test_queue_shows_only_own_department(client, user_a, org_a, user_b, org_b, officers):
    submit_new(user_a, org_a)  # customs + tax
    submit_new(user_b, org_b, roles=["logistics"], express_permit_no="KD1")  # customs only
    client.force_login(officers["tax"])
    page = client.get(QUEUE)
    assert page.status_code == 200
    assert org_a.name.encode() in page.content and org_b.name.encode() not in page.content
    client.force_login(officers["customs"])
    page = client.get(QUEUE)
    assert org_a.name.encode() in page.content and org_b.name.encode() in page.content


def test_review_page_masks_personal_data(client, user_a, org_a, officers):
    version = submit_new(user_a, org_a)
    client.force_login(officers["customs"])
    page = client.get(change_url(review_of(version, "customs")))
    assert page.status_code == 200
    assert b"13812345678" not in page.content and "王法人".encode() not in page.content
    assert "杭州市滨江区网商路699号".encode() in page.content


def test_return_needs_reason_and_fields(client, user_a, org_a, officers):
    version = submit_new(user_a, org_a)
    review = review_of(version, "customs")
    client.force_login(officers["customs"])
    page = client.post(change_url(review), {"decision": "returned", "reason": ""})
    assert page.status_code == 200
    assert page.context["adminform"].form.errors.keys() >= {"reason", "fields_to_fix"}
    review.refresh_from_db()
    assert review.decision == D.PENDING


def test_officer_returns_through_the_service(client, user_a, org_a, officers):
    version = submit_new(user_a, org_a)
    review = review_of(version, "customs")
    client.force_login(officers["customs"])
    response = client.post(change_url(review), {"decision": "returned", "reason": "地址不全",
                                                "fields_to_fix": ["registered_address"]})
    assert response.status_code == 302
    review.refresh_from_db()
    version.refresh_from_db()
    assert review.decision == D.RETURNED and review.fields_to_fix == ["registered_address"]
    assert review.decided_by == officers["customs"]
    assert version.status == EnterpriseFilingVersion.Status.RETURNED
    assert AuditEvent.objects.filter(action="filings.enterprisefiling.return").exists()


def test_tax_officer_cannot_open_or_decide_customs_review(client, user_a, org_a, officers):
    version = submit_new(user_a, org_a)
    review = review_of(version, "customs")
    client.force_login(officers["tax"])
    assert client.get(change_url(review)).status_code == 302  # "does not exist", back to the index
    client.post(change_url(review), {"decision": "approved"})
    review.refresh_from_db()
    assert review.decision == D.PENDING
    assert not AuditEvent.objects.filter(action="filings.enterprisefiling.decide").exists()


def test_decision_on_refused_version_shows_error(client, user_a, org_a, officers):
    version = submit_new(user_a, org_a)
    customs_review = review_of(version, "customs")
    client.force_login(officers["tax"])
    client.post(change_url(review_of(version, "tax")), {"decision": "rejected", "reason": "不合格"})
    client.force_login(officers["customs"])
    response = client.post(change_url(customs_review), {"decision": "approved"}, follow=True)
    assert [m.level for m in response.context["messages"]][-1] == messages.ERROR
    customs_review.refresh_from_db()
    assert customs_review.decision == D.PENDING
    assert EnterpriseFiling.objects.get(organization=org_a).status == EnterpriseFiling.Status.REJECTED


def test_bulk_approve_action_files(client, user_a, org_a, officers):
    version = submit_new(user_a, org_a)
    for department in ("customs", "tax"):
        client.force_login(officers[department])
        client.post(QUEUE, {"action": "approve_selected", "_selected_action": [review_of(version, department).pk]})
    filing = EnterpriseFiling.objects.get(organization=org_a)
    assert filing.status == EnterpriseFiling.Status.FILED and filing.filing_no


def test_overdue_is_flagged(client, user_a, org_a, officers):
    version = submit_new(user_a, org_a)
    EnterpriseFilingVersion.objects.filter(pk=version.pk).update(
        submitted_at=version.submitted_at - dt.timedelta(days=14))
    client.force_login(officers["customs"])
    assert b"overdue" in client.get(QUEUE, HTTP_ACCEPT_LANGUAGE="en").content


def test_zone_admin_edits_matrix_with_audit(client, zone_admin):
    rule = ReviewRule.objects.get(trigger="role", role="logistics", department="customs")
    client.force_login(zone_admin)
    response = client.post(reverse("admin:filings_reviewrule_change", args=[rule.pk]),
                           {"trigger": "role", "role": "logistics", "department": "customs"})  # is_active off
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.is_active is False
    event = AuditEvent.objects.get(action="filings.reviewrule.save")
    assert event.changes == {"is_active": [True, False]}


def test_officer_cannot_edit_matrix(client, officers):
    rule = ReviewRule.objects.first()
    client.force_login(officers["customs"])
    response = client.post(reverse("admin:filings_reviewrule_change", args=[rule.pk]),
                           {"trigger": rule.trigger, "role": rule.role, "department": rule.department})
    assert response.status_code == 403


def test_filing_list_scoped_and_masked(client, user_a, org_a, user_b, org_b, officers, zone_admin):
    submit_new(user_a, org_a)
    submit_new(user_b, org_b, roles=["logistics"], express_permit_no="KD1")
    client.force_login(officers["tax"])
    page = client.get(reverse("admin:filings_enterprisefiling_changelist"))
    assert org_a.name.encode() in page.content and org_b.name.encode() not in page.content
    client.force_login(zone_admin)
    page = client.get(reverse("admin:filings_enterprisefiling_changelist") + "?role=logistics")
    assert org_b.name.encode() in page.content and org_a.name.encode() not in page.content
