"""The public filing look-up page (/filings/lookup/): no login, nothing personal, rate-limited."""

import pytest
from django.utils import timezone

from filings import views_public
from tests.accounts.factories import OrganizationFactory
from tests.filings.factories import EnterpriseFilingFactory, EnterpriseFilingVersionFactory

URL = "/filings/lookup/"


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def filed(db):
    organization = OrganizationFactory(name="丙跨境贸易有限公司", contact_name="李联系", contact_mobile="13900001111",
                                       contact_email="bing@example.com")
    filing = EnterpriseFilingFactory(organization=organization)
    version = EnterpriseFilingVersionFactory(
        filing=filing, status="approved", roles=["ebc", "logistics"], name="丙跨境贸易有限公司",
        legal_representative="赵法人", contact_name="钱联系人", contact_mobile="13700002222",
        contact_email="qian@example.com", bank_name="示例银行滨江支行")
    filing.status, filing.filing_no, filing.filed_at = "filed", "ZF2026000101", timezone.now()
    filing.effective_version = version
    filing.save()
    return filing


@pytest.fixture
def draft(db):
    organization = OrganizationFactory(name="丁草稿电商有限公司")
    filing = EnterpriseFilingFactory(organization=organization)
    EnterpriseFilingVersionFactory(filing=filing, name="丁草稿电商有限公司")
    return filing


def test_empty_query_shows_the_form_with_help(client):
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="q"' in html
    assert "it shows no personal data" in html
    assert "<table" not in html


def test_lookup_by_name_shows_public_fields(client, filed):
    response = client.get(URL, {"q": "丙跨境"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "丙跨境贸易有限公司" in html
    assert filed.organization.uscc in html
    assert "E-commerce enterprise (电商企业)" in html and "Logistics enterprise (物流企业)" in html
    assert "<td>filed</td>" in html
    assert timezone.localdate(filed.filed_at).isoformat() in html or filed.filed_at.date().isoformat() in html


def test_lookup_by_uscc(client, filed):
    response = client.get(URL, {"q": filed.organization.uscc.lower()})
    assert "丙跨境贸易有限公司" in response.content.decode()


def test_lookup_shows_nothing_personal(client, filed):
    html = client.get(URL, {"q": filed.organization.uscc}).content.decode()
    assert "丙跨境贸易有限公司" in html
    for value in ["赵法人", "钱联系人", "13700002222", "qian@example.com", "示例银行滨江支行", "李联系",
                  "13900001111", "bing@example.com", "网商路699号"]:
        assert value not in html


def test_drafts_are_not_shown(client, draft):
    response = client.get(URL, {"q": "丁草稿"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "丁草稿电商有限公司" not in html
    assert "No filed enterprise matches your search." in html


def test_no_login_needed_and_no_inline_script(client, filed):
    response = client.get(URL, {"q": "丙"})
    assert response.status_code == 200
    assert "<script>" not in response.content.decode()


def test_rate_limit_per_address(client, filed, monkeypatch):
    monkeypatch.setattr(views_public, "LOOKUP_RATE", "3/m")
    for _ in range(3):
        assert client.get(URL, {"q": "丙"}, REMOTE_ADDR="10.0.0.1").status_code == 200
    refused = client.get(URL, {"q": "丙"}, REMOTE_ADDR="10.0.0.1")
    assert refused.status_code == 429
    html = refused.content.decode()
    assert "Too many look-ups from your network." in html
    assert "丙跨境贸易有限公司" not in html
    assert client.get(URL, {"q": "丙"}, REMOTE_ADDR="10.0.0.2").status_code == 200


def test_the_real_limit_is_60_a_minute(client, filed, monkeypatch):
    from zone_portal.core import ratelimit

    monkeypatch.setattr(ratelimit.time, "time", lambda: 1_800_000_000.0)  # one fixed window
    statuses = [client.get(URL, {"q": "丙"}, REMOTE_ADDR="10.0.0.9").status_code for _ in range(61)]
    assert statuses == [200] * 60 + [429]
