"""Who sees what: the enterprise pages (lists, one list with its tax bill), the tax bill API and the
customs back office — enterprise A sees its lists, enterprise B gets 404 for them, customs see all,
and a caller without the scope or the permission gets nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from filings.clearance.services import lists_clear
from filings.models import Declaration
from tests.accounts.factories import ApiClientFactory

from .factories import make_list

pytestmark = pytest.mark.usefixtures("clearance")
S = Declaration.ListState


@pytest.fixture
def lists(org_a, org_b):
    a = make_list(organization=org_a, order_no="ORD-A-1")
    b = make_list(organization=org_b, order_no="ORD-B-1", buyer_id="11010519491231002X")
    export_a = make_list(organization=org_a, order_no="ORD-A-E", direction="E")
    lists_clear(declaration_ids=[a.pk, b.pk, export_a.pk])
    return a, b, export_a


# --- enterprise pages ------------------------------------------------------------------------------

def test_an_enterprise_sees_its_own_lists_with_quota_and_tax(client, user_a, lists):
    a, _b, _export = lists
    client.force_login(user_a)
    page = client.get(reverse("filings:clearance_list"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "ORD-A-1" in body and "ORD-B-1" not in body and "200.00" in body
    detail = client.get(reverse("filings:clearance_detail", args=[a.pk]))
    assert detail.status_code == 200
    body = detail.content.decode()
    assert a.order_no in body and "29.36" in body  # the tax total: VAT 19.48 + consumption tax 9.88


def test_another_enterprise_gets_404_for_a_list_and_does_not_see_it_listed(client, user_b, lists):
    a, b, _export = lists
    client.force_login(user_b)
    assert client.get(reverse("filings:clearance_detail", args=[a.pk])).status_code == 404
    assert client.get(reverse("filings:clearance_detail", args=[b.pk])).status_code == 200
    assert "ORD-A-1" not in client.get(reverse("filings:clearance_list")).content.decode()


def test_the_state_filter_and_the_query_count(client, user_a, org_a, lists, django_assert_max_num_queries):
    for _ in range(10):
        lists_clear(declaration_ids=[make_list(organization=org_a).pk])
    client.force_login(user_a)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("filings:clearance_list"), {"state": S.RELEASED})
    assert page.status_code == 200 and "ORD-A-1" in page.content.decode()
    assert "ORD-A-1" not in client.get(reverse("filings:clearance_list"), {"state": S.HELD}).content.decode()


@pytest.mark.parametrize("who", ["officer_with_perm", "officer_without_perm"])
def test_officers_use_the_back_office_not_the_enterprise_pages(client, request, lists, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("filings:clearance_list")).status_code == 404
    assert client.get(reverse("filings:clearance_detail", args=[lists[0].pk])).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client, lists):
    assert client.get(reverse("filings:clearance_list")).status_code == 302
    assert client.get(reverse("filings:clearance_detail", args=[lists[0].pk])).status_code == 302


# --- the tax bill API --------------------------------------------------------------------------------

def tax_url(d) -> str:
    return f"/api/v1/filings/lists/{d.pk}/tax/"


def test_a_partner_with_the_scope_reads_its_lists_tax_bill(signed_client, org_a, lists):
    a, b, export = lists
    api = signed_client(ApiClientFactory(organization=org_a, scopes=["inventory_list:read"]))
    response = api.get(tax_url(a))
    assert response.status_code == 200
    body = response.json()
    # cream 120 × 13 % × 70 % = 10.92; lipstick (80 + 80 / 0.85 × 15 %) × 13 % × 70 % = 8.5647 → 8.56
    assert body["TaxHeadRd"]["valueAddedTax"] == "19.48000"
    assert body["TaxHeadRd"]["consumptionTax"] == "9.88000"
    assert body["TaxHeadRd"]["customsTax"] == "0.00000" and body["taxFactor"] == "0.7000"
    assert api.get(tax_url(b)).status_code == 404
    missing = api.get(tax_url(export))
    assert missing.status_code == 404 and missing.json()["code"] == "tax_bill_not_found"


def test_a_partner_without_the_scope_is_refused(signed_client, org_a, lists):
    api = signed_client(ApiClientFactory(organization=org_a, scopes=["order:read"]))
    response = api.get(tax_url(lists[0]))
    assert response.status_code == 403 and response.json()["code"] == "scope_missing"


def test_customs_see_every_tax_bill_and_enterprise_b_none_of_a(client, officer_with_perm, user_b, lists):
    a, b, _export = lists
    client.force_login(officer_with_perm)
    assert client.get(tax_url(a)).status_code == 200 and client.get(tax_url(b)).status_code == 200
    client.force_login(user_b)
    assert client.get(tax_url(a)).status_code == 404 and client.get(tax_url(b)).status_code == 200


def test_an_officer_without_the_permission_sees_no_tax_bill(client, officer_without_perm, lists):
    client.force_login(officer_without_perm)
    assert client.get(tax_url(lists[0])).status_code == 404


def test_anonymous_callers_of_the_api_are_refused(client, lists):
    assert client.get(tax_url(lists[0])).status_code in (401, 403)


# --- the back office -----------------------------------------------------------------------------------

def test_customs_see_every_list_in_the_back_office(client, officer_with_perm, lists):
    client.force_login(officer_with_perm)
    page = client.get(reverse("admin:clearance_inventorylist_changelist"))
    assert page.status_code == 200
    assert "ORD-A-1" in page.content.decode() and "ORD-B-1" in page.content.decode()
    detail = client.get(reverse("admin:clearance_inventorylist_change", args=[lists[0].pk]))
    assert detail.status_code == 200 and "T2900" in detail.content.decode()  # the tax bill number


@pytest.mark.parametrize("page", ["admin:clearance_inventorylist_changelist", "admin:clearance_taxbill_changelist",
                                  "admin:clearance_quotaledger_changelist",
                                  "admin:clearance_retailimportpolicy_changelist"])
def test_an_officer_without_the_permission_is_refused_in_the_back_office(client, officer_without_perm, page):
    client.force_login(officer_without_perm)
    assert client.get(reverse(page)).status_code == 403


def test_enterprise_users_do_not_enter_the_back_office(client, user_a, lists):
    client.force_login(user_a)
    response = client.get(reverse("admin:clearance_inventorylist_changelist"))
    assert response.status_code == 302 and "login" in response.url
