"""GET /api/v1/filings/enterprises/<uscc>/: who may ask, what the answer holds, and what it never holds."""

import pytest
from django.utils import timezone

from tests.accounts.factories import ApiClientFactory
from tests.filings.factories import EnterpriseFilingFactory, EnterpriseFilingVersionFactory
from tests.filings.goods_fixtures import file_enterprise

# What the filing version of the factories holds that is personal or private.
PERSONAL_VALUES = ["王法人", "张三", "13812345678", "filing@example.com", "网商路699号"]


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def filed_a(org_a):
    filing = file_enterprise(org_a, roles_=("ebp", "ebc"))
    filing.filed_at = timezone.now()
    filing.save(update_fields=["filed_at"])
    return filing


@pytest.fixture
def reader_b(org_b):
    """A partner client of enterprise B allowed to read filing status."""
    return ApiClientFactory(organization=org_b, scopes=["enterprise_filing:read"])


def url(uscc):
    return f"/api/v1/filings/enterprises/{uscc}/"


def test_partner_with_scope_sees_public_status_of_another_enterprise(signed_client, reader_b, org_a, filed_a):
    response = signed_client(reader_b).get(url(org_a.uscc))
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"uscc", "filed", "status", "roles", "since", "filing_no"}
    assert body["uscc"] == org_a.uscc and body["filed"] is True and body["status"] == "filed"
    assert body["roles"] == ["ebc", "ebp"]
    assert body["filing_no"] == filed_a.filing_no
    assert body["since"] is not None
    text = response.content.decode()
    for value in [*PERSONAL_VALUES, org_a.contact_mobile, org_a.contact_email]:
        assert value not in text


def test_lower_case_uscc_is_accepted(signed_client, reader_b, org_a, filed_a):
    response = signed_client(reader_b).get(url(org_a.uscc.lower()))
    assert response.status_code == 200 and response.json()["uscc"] == org_a.uscc


def test_filing_under_review_is_not_filed(signed_client, reader_b, org_a):
    filing = EnterpriseFilingFactory(organization=org_a, status="under_review")
    EnterpriseFilingVersionFactory(filing=filing, status="under_review")
    body = signed_client(reader_b).get(url(org_a.uscc)).json()
    assert body["filed"] is False and body["status"] == "under_review"
    assert body["roles"] == [] and body["since"] is None and body["filing_no"] is None


@pytest.mark.parametrize("draft", [False, True])
def test_unknown_uscc_or_draft_is_404(signed_client, reader_b, org_a, draft):
    if draft:
        EnterpriseFilingVersionFactory(filing=EnterpriseFilingFactory(organization=org_a))
    response = signed_client(reader_b).get(url(org_a.uscc))
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_client_without_scope_is_refused(signed_client, client_without_scope, org_a, filed_a):
    response = signed_client(client_without_scope).get(url(org_a.uscc))
    assert response.status_code == 403
    assert response.json()["code"] == "scope_missing"


def test_client_with_other_scopes_is_refused(signed_client, client_with_scope, org_a, filed_a):
    response = signed_client(client_with_scope).get(url(org_a.uscc))
    assert response.status_code == 403 and response.json()["code"] == "scope_missing"


def test_anonymous_is_401(client, org_a, filed_a):
    response = client.get(url(org_a.uscc))
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_officer_with_permission_sees_status(client, officer_with_perm, org_a, filed_a):
    client.force_login(officer_with_perm)
    response = client.get(url(org_a.uscc))
    assert response.status_code == 200 and response.json()["filed"] is True


def test_officer_without_permission_is_refused(client, officer_without_perm, org_a, filed_a):
    client.force_login(officer_without_perm)
    response = client.get(url(org_a.uscc))
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"


def test_enterprise_user_sees_own_status(client, user_a, org_a, filed_a):
    client.force_login(user_a)
    response = client.get(url(org_a.uscc))
    assert response.status_code == 200 and response.json()["filing_no"] == filed_a.filing_no


def test_enterprise_user_cannot_ask_for_another_enterprise(client, user_b, org_a, filed_a):
    client.force_login(user_b)
    response = client.get(url(org_a.uscc))
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert filed_a.filing_no not in response.content.decode()
