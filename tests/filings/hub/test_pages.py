"""Enterprise pages of the declaration hub (list, filters, export, detail, lint) and the customs
back office search — what each user sees, and what they must not."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from filings.models import Declaration
from tests.accounts.factories import DepartmentFactory, OfficerFactory, UserFactory
from tests.filings.hub.conftest import BUYER_ID, import_order, import_payment
from zone_portal.accounts import roles
from zone_portal.accounts.models import Organization

API = "/api/v1/filings/declarations/"


@pytest.fixture
def declared(cast, signed_client):
    for i in range(3):
        assert signed_client(cast.platform.client).post(API, data=import_order(cast, f"ORD-{i}")).status_code == 201
    assert signed_client(cast.payer.client).post(API, data=import_payment(cast, "ORD-0")).status_code == 201
    return cast


def login(client, org, role=roles.ENTERPRISE_OPERATOR):
    user = UserFactory(organization=org, role=role)
    client.force_login(user)
    return user


@pytest.mark.django_db
class TestEnterprisePages:
    def test_list_and_filters(self, declared, client):
        login(client, declared.platform.org)
        page = client.get("/filings/declarations/")
        assert page.status_code == 200
        html = page.content.decode()
        assert "ORD-0" in html and "ORD-2" in html and "CEB411" in html  # the platform sees the payment too
        only = client.get("/filings/declarations/", {"order_no": "ORD-1"}).content.decode()
        assert "ORD-1" in only and "ORD-2" not in only
        by_kind = client.get("/filings/declarations/", {"kind": "CEB411"}).content.decode()
        assert "CEB411" in by_kind and "ORD-2" not in by_kind

    def test_payment_company_sees_only_its_own(self, declared, client):
        login(client, declared.payer.org)
        html = client.get("/filings/declarations/").content.decode()
        assert "ORD-0" in html and "ORD-1" not in html

    def test_other_enterprise_gets_404_on_detail(self, declared, client):
        login(client, declared.logistics.org)
        payment = Declaration.objects.get(kind="CEB411")
        assert client.get(f"/filings/declarations/{payment.pk}/").status_code == 404

    def test_detail_shows_versions_and_receipts_masked(self, declared, client):
        login(client, declared.payer.org)
        payment = Declaration.objects.get(kind="CEB411")
        html = client.get(f"/filings/declarations/{payment.pk}/").content.decode()
        assert "payTransactionId" in html and "PAY-ORD-0" in html
        assert "120" in html and "新增申报成功" in html
        assert BUYER_ID not in html and "李四" not in html

    def test_export_is_the_filtered_list(self, declared, client):
        login(client, declared.platform.org)
        response = client.get("/filings/declarations/export/", {"kind": "CEB311"})
        assert response.status_code == 200
        sheet = load_workbook(io.BytesIO(response.content)).active
        rows = list(sheet.iter_rows(values_only=True))
        assert sorted(r[3] for r in rows[1:]) == ["ORD-0", "ORD-1", "ORD-2"]

    def test_officers_and_anonymous_do_not_reach_the_enterprise_pages(self, declared, client):
        assert client.get("/filings/declarations/").status_code == 302
        customs = DepartmentFactory(kind=Organization.Kind.CUSTOMS)
        client.force_login(OfficerFactory(organization=customs, role=roles.CUSTOMS_OFFICER))
        assert client.get("/filings/declarations/").status_code == 404

    def test_lint_page_json(self, cast, client):
        login(client, cast.platform.org)
        import json
        doc = import_order(cast, currency="502")
        response = client.post("/filings/declarations/lint/", {"text": json.dumps(doc, ensure_ascii=False)})
        html = response.content.decode()
        assert response.status_code == 200
        assert "-900107" in html and "head.currency" in html
        assert Declaration.objects.count() == 0

    def test_lint_page_valid_document(self, cast, client):
        login(client, cast.platform.org)
        import json
        response = client.post("/filings/declarations/lint/", {"text": json.dumps(import_order(cast))})
        assert "lint-results" in response.content.decode()
        assert "-9001" not in response.content.decode()

    def test_lint_page_not_json_nor_xml(self, cast, client):
        login(client, cast.platform.org)
        response = client.post("/filings/declarations/lint/", {"text": "hello"})
        assert "lint-message-error" in response.content.decode()

    def test_lint_page_rejects_an_entity_bomb(self, cast, client):
        login(client, cast.platform.org)
        bomb = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
                '<ceb:CEB311Message xmlns:ceb="http://www.chinaport.gov.cn/ceb">&lol2;</ceb:CEB311Message>')
        response = client.post("/filings/declarations/lint/", {"text": bomb})
        assert "lint-message-error" in response.content.decode()


@pytest.mark.django_db
class TestCustomsBackOffice:
    def test_customs_searches_by_order_number(self, declared, client):
        customs = DepartmentFactory(kind=Organization.Kind.CUSTOMS)
        client.force_login(OfficerFactory(organization=customs, role=roles.CUSTOMS_OFFICER, is_staff=True))
        response = client.get("/admin/filings/declaration/", {"q": "ORD-1"})
        assert response.status_code == 200
        html = response.content.decode()
        assert "ORD-1" in html and "ORD-2" not in html
        order = Declaration.objects.get(order_no="ORD-1")
        detail = client.get(f"/admin/filings/declaration/{order.pk}/change/").content.decode()
        assert "新增申报成功" in detail and BUYER_ID not in detail

    def test_bank_officer_cannot_open_declarations(self, declared, client):
        bank = DepartmentFactory(kind=Organization.Kind.BANK)
        client.force_login(OfficerFactory(organization=bank, role=roles.BANK_OFFICER, is_staff=True))
        assert client.get("/admin/filings/declaration/").status_code == 403
