"""The real way in: a partner declares the list (CEB621, signed) through the hub's API, reconciliation
marks it reconciled, clearance releases it; the partner pulls the receipts from the feed, reads the
tax bill from the API, and cancels the list with a CEB623 declared through the hub."""

from __future__ import annotations

import pytest

from filings.clearance.models import ListStateChange
from filings.clearance.services import documents_process, lists_clear
from filings.models import Declaration
from tests.filings.hub.conftest import BUYER_ID, NOW, import_list, new_guid

from .factories import CREAM, LIPSTICK, ensure_rate

pytestmark = pytest.mark.usefixtures("clearance")
S = Declaration.ListState
SIGNATURE = "<ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"><ds:SignatureValue>c2ln</ds:SignatureValue></ds:Signature>"


def declare(api, document: dict) -> dict:
    response = api.post("/api/v1/filings/declarations/", data=document | {"signature": SIGNATURE})
    assert response.status_code == 201, response.json()
    return response.json()


def cancel_document(cast, invt_no: str, **head) -> dict:
    data = {"guid": new_guid(), "appType": "1", "appTime": NOW, "appStatus": "2", "customsCode": "2900",
            "orderNo": "ORD-0001", "ebpCode": cast.platform.code, "ebpName": "丙电商平台有限公司",
            "ebcCode": cast.ebc.code, "ebcName": "丁跨境电商有限公司", "logisticsNo": "WB-ORD-0001",
            "logisticsCode": cast.logistics.code, "logisticsName": "己物流有限公司", "copNo": "CXL-0001",
            "invtNo": invt_no, "buyerIdType": "1", "buyerIdNumber": BUYER_ID, "buyerName": "李四",
            "buyerTelephone": "13900001111", "agentCode": cast.ebc.code, "agentName": "丁跨境电商有限公司",
            "reason": "消费者取消订单"}
    data.update(head)
    return {"kind": "CEB623", "head": data}


def test_declared_reconciled_released_pulled_taxed_and_cancelled(cast, signed_client):
    ensure_rate(CREAM, "0.13")
    ensure_rate(LIPSTICK, "0.13", "0.15")
    api = signed_client(cast.ebc.client)
    declare(api, import_list(cast, appStatus="2"))
    d = Declaration.objects.get(kind="CEB621")
    assert d.list_state == S.DECLARED
    Declaration.objects.filter(pk=d.pk).update(list_state=S.RECONCILED)  # what reconciliation does

    lists_clear(declaration_ids=[d.pk])
    d.refresh_from_db()
    assert d.list_state == S.RELEASED and len(d.invt_no) == 18
    # the whole life is on the list's history, the reconciliation's step included
    steps = list(ListStateChange.objects.filter(declaration=d).values_list("from_state", "to_state"))
    assert steps == [(S.DECLARED, S.RECONCILED), (S.RECONCILED, S.RISK_CHECK), (S.RISK_CHECK, S.RELEASED)]
    lists_clear(declaration_ids=[d.pk])  # a task run again changes nothing
    assert ListStateChange.objects.filter(declaration=d).count() == 3

    feed = api.get("/api/v1/filings/receipts/").json()["receipts"]
    mine = [(r["returnStatus"], r["keys"].get("invtNo", "")) for r in feed if r["guid"] == d.guid]
    assert mine[-2:] == [("399", ""), ("800", d.invt_no)]  # the list number comes with the release

    bill = api.get(f"/api/v1/filings/lists/{d.pk}/tax/").json()
    assert bill["TaxHeadRd"]["invtNo"] == d.invt_no and bill["list"]["state"] == S.RELEASED
    # cream 120 + 6.00 freight: VAT 11.47; lipstick 80 + 4.00: CT 10.38, VAT 8.99
    assert bill["TaxHeadRd"]["valueAddedTax"] == "20.46000" and bill["TaxHeadRd"]["consumptionTax"] == "10.38000"
    assert [line["taxPrice"] for line in bill["TaxListRd"]] == ["126.00000", "84.00000"]

    result = declare(api, cancel_document(cast, d.invt_no))
    assert result["returnStatus"] == "120"
    cancel = Declaration.objects.get(kind="CEB623")
    documents_process(declaration_ids=[cancel.pk])
    d.refresh_from_db()
    assert d.list_state == S.CANCELLED
    feed = api.get("/api/v1/filings/receipts/").json()["receipts"]
    assert [r["returnStatus"] for r in feed if r["guid"] == cancel.guid] == ["120", "399"]
    assert api.get(f"/api/v1/filings/lists/{d.pk}/tax/").json()["TaxHeadRd"]["status"] == "3"


def test_a_cancellation_by_another_enterprise_never_reaches_the_list(cast, signed_client):
    """The hub already refuses a cancellation whose ebcCode/agentCode is not the caller (-900205);
    one that names the caller but another enterprise's list is refused by clearance (-900606)."""
    ensure_rate(CREAM, "0.13")
    ensure_rate(LIPSTICK, "0.13", "0.15")
    declare(signed_client(cast.ebc.client), import_list(cast, appStatus="2"))
    d = Declaration.objects.get(kind="CEB621")
    Declaration.objects.filter(pk=d.pk).update(list_state=S.RECONCILED)
    lists_clear(declaration_ids=[d.pk])
    d.refresh_from_db()
    broker = signed_client(cast.broker.client)
    response = broker.post("/api/v1/filings/declarations/", data=cancel_document(
        cast, d.invt_no, ebcCode=cast.broker.code, agentCode=cast.broker.code) | {"signature": SIGNATURE})
    assert response.status_code == 201
    cancel = Declaration.objects.get(kind="CEB623")
    documents_process(declaration_ids=[cancel.pk])
    cancel.refresh_from_db()
    d.refresh_from_db()
    assert cancel.return_status == "-900606" and d.list_state == S.RELEASED
