"""Who sees a reconciliation result, on the pages, through the API and in the back office:
the enterprises whose documents make the trade (a payment company its own payment's order), never
another enterprise (404, nothing listed), customs everything; the buyer's ID number never in full."""

from __future__ import annotations

import pytest

from filings.hub import authority
from tests.accounts.factories import ApiClientFactory, OfficerFactory, UserFactory
from tests.filings.hub.conftest import BUYER_ID, file_enterprise
from tests.filings.reconciliation.conftest import (
    import_order,
    import_payment,
    import_waybill,
    result_of,
)
from zone_portal.accounts import roles

pytestmark = pytest.mark.django_db
API = "/api/v1/filings/reconciliation/"


@pytest.fixture
def mismatched(cast, declare, reconcile_now):
    """One trade whose payer is not the buyer (the ID numbers differ), reconciled."""
    declare(import_order(cast))
    declare(import_payment(cast, payerIdNumber="360426199101010098"))
    declare(import_waybill(cast))
    reconcile_now()
    return result_of()


@pytest.fixture
def other_payer(cast):
    """Enterprise B: another filed payment company with a payment of its own, for another order."""
    party = file_enterprise(["payment"], name="癸支付有限公司")
    authority.reset()
    return party


def user_of(party, role=roles.ENTERPRISE_OPERATOR):
    return UserFactory(organization=party.org, role=role)


class TestPages:
    def test_the_payment_company_sees_its_payments_order_side_by_side(self, client, cast, mismatched):
        client.force_login(user_of(cast.payer))
        listing = client.get("/filings/reconciliation/").content.decode()
        assert "ORD-0001" in listing and "-900502" in listing
        page = client.get(f"/filings/reconciliation/{mismatched.pk}/").content.decode()
        assert 'data-code="-900502"' in page and 'data-failed="1"' in page
        assert "360426********0071" in page and "360426********0098" in page  # both, masked
        assert BUYER_ID not in page and "360426199101010098" not in page
        # the order is not the payment company's document: only the fields the rules compare
        assert "丁跨境电商有限公司" not in page
        assert "支付人证件号码与订购人证件号码不一致" in page or "payer's ID number differs" in page

    def test_the_platform_sees_its_own_order_in_full_still_masked(self, client, cast, mismatched):
        client.force_login(user_of(cast.platform))
        page = client.get(f"/filings/reconciliation/{mismatched.pk}/").content.decode()
        assert "丁跨境电商有限公司" in page and BUYER_ID not in page

    def test_the_order_number_page_leads_to_the_result(self, client, cast, mismatched):
        client.force_login(user_of(cast.logistics))
        response = client.get("/filings/reconciliation/order/ORD-0001/")
        assert response.status_code == 302 and response["Location"].endswith(f"/reconciliation/{mismatched.pk}/")

    def test_enterprise_b_sees_nothing(self, client, cast, mismatched, other_payer):
        client.force_login(user_of(other_payer))
        assert "ORD-0001" not in client.get("/filings/reconciliation/").content.decode()
        assert client.get(f"/filings/reconciliation/{mismatched.pk}/").status_code == 404
        assert client.get("/filings/reconciliation/order/ORD-0001/").status_code == 404

    def test_officers_have_no_enterprise_page(self, client, mismatched, officer_with_perm):
        client.force_login(officer_with_perm)
        assert client.get(f"/filings/reconciliation/{mismatched.pk}/").status_code == 404

    def test_anonymous_is_sent_to_log_in(self, client, mismatched):
        assert client.get("/filings/reconciliation/").status_code == 302


class TestApi:
    def test_the_payment_companys_client_lists_and_reads_its_result(self, signed_client, cast, mismatched,
                                                                    django_assert_max_num_queries):
        api = signed_client(cast.payer.client)
        with django_assert_max_num_queries(12):
            body = api.get(API, params={"order_no": "ORD-0001", "status": "mismatched"}).json()
        (item,) = body["results"]
        assert item["orderNo"] == "ORD-0001" and item["codes"] == [-900502]
        assert item["failures"][0]["value"] == "360426********0098" and item["failures"][0]["message"]
        detail = api.get(f"{API}{mismatched.pk}/").json()
        assert detail["history"][0]["status"] == "mismatched"
        by_order = api.get(f"{API}orders/ORD-0001/").json()
        assert [r["id"] for r in by_order["results"]] == [mismatched.pk]
        assert BUYER_ID not in str(body) + str(detail) + str(by_order)
        assert api.get(API, params={"status": "matched"}).json()["results"] == []

    def test_enterprise_b_gets_404_and_an_empty_list(self, signed_client, cast, mismatched, other_payer):
        api = signed_client(other_payer.client)
        assert api.get(API).json()["results"] == []
        response = api.get(f"{API}{mismatched.pk}/")
        assert response.status_code == 404 and response.json()["code"] == "not_found"
        assert api.get(f"{API}orders/ORD-0001/").status_code == 404

    def test_a_client_without_a_read_scope_is_refused(self, signed_client, cast, mismatched):
        client = ApiClientFactory(organization=cast.payer.org, name="writer-only", scopes=["payment:write"])
        response = signed_client(client).get(API)
        assert response.status_code == 403 and response.json()["code"] == "scope_missing"

    def test_any_trade_read_scope_will_do(self, signed_client, cast, mismatched):
        client = ApiClientFactory(organization=cast.logistics.org, name="waybill-reader", scopes=["waybill:read"])
        assert signed_client(client).get(f"{API}{mismatched.pk}/").status_code == 200


class TestBackOffice:
    def test_customs_sees_every_result_with_its_documents(self, client, cast, mismatched, customs):
        client.force_login(OfficerFactory(organization=customs, role=roles.CUSTOMS_OFFICER, is_staff=True))
        listing = client.get("/admin/reconciliation/reconciliationresult/", {"status": "mismatched"})
        assert listing.status_code == 200 and "ORD-0001" in listing.content.decode()
        assert "ORD-0001" in client.get("/admin/reconciliation/reconciliationresult/",
                                        {"code": "-900502"}).content.decode()
        page = client.get(f"/admin/reconciliation/reconciliationresult/{mismatched.pk}/change/").content.decode()
        assert 'data-code="-900502"' in page and 'id="side-by-side"' in page
        assert "360426********0098" in page and BUYER_ID not in page

    def test_an_officer_without_the_permission_is_refused(self, client, mismatched):
        from tests.accounts.factories import DepartmentFactory
        from zone_portal.accounts.models import Organization

        bank = DepartmentFactory(kind=Organization.Kind.BANK, name="合作银行")
        client.force_login(OfficerFactory(organization=bank, role=roles.BANK_OFFICER, is_staff=True))
        assert client.get("/admin/reconciliation/reconciliationresult/").status_code == 403
        assert client.get(f"/admin/reconciliation/reconciliationresult/{mismatched.pk}/change/").status_code in (
            403, 302)
