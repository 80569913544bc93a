"""Fixtures of the declaration hub tests: the code tables, five filed enterprises (platform,
e-commerce enterprise, payment company, logistics company, customs broker) each with a signed
API client, and builders of valid import documents that tests then spoil one field at a time."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
from django.db import transaction

from filings.hub import authority
from filings.hub.validate import reset_code_cache
from filings.models import EnterpriseFiling
from tests.accounts.factories import ApiClientFactory, OrganizationFactory
from tests.filings.factories import EnterpriseFilingVersionFactory
from zone_portal.codes.services import codes_load

ALL_SCOPES = [f"{kind}:{mode}" for kind in ("order", "payment", "receipt", "waybill", "logistics_event",
                                             "inventory_list", "summary") for mode in ("read", "write")]
BUYER_ID = "360426199101010071"
NOW = "20261122120000"


@pytest.fixture(scope="module")
def hub_codes(django_db_setup, django_db_blocker):
    """Every bundled code table, loaded once per module and rolled back after it."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            codes_load()
            reset_code_cache()
            yield
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            reset_code_cache()


def new_guid() -> str:
    return str(uuid.uuid4()).upper()


@dataclass
class Party:
    org: object
    code: str
    client: object


def file_enterprise(roles: list[str], *, name: str, customs_code: str = "") -> Party:
    org = OrganizationFactory(name=name)
    version = EnterpriseFilingVersionFactory(filing__organization=org, roles=roles, customs_code=customs_code,
                                             status="approved")
    filing = version.filing
    filing.status = EnterpriseFiling.Status.FILED
    filing.filing_no = f"ZF2026{org.pk:06d}"
    filing.effective_version = version
    filing.save()
    client = ApiClientFactory(organization=org, scopes=ALL_SCOPES)
    return Party(org, org.uscc, client)


@dataclass
class Cast:
    platform: Party
    ebc: Party
    payer: Party
    logistics: Party
    broker: Party


@pytest.fixture
def cast(hub_codes, db) -> Cast:
    result = Cast(
        platform=file_enterprise(["ebp"], name="丙电商平台有限公司"),
        ebc=file_enterprise(["ebc"], name="丁跨境电商有限公司", customs_code="3301961Q43"),
        payer=file_enterprise(["payment"], name="戊支付有限公司"),
        logistics=file_enterprise(["logistics"], name="己物流有限公司"),
        broker=file_enterprise(["broker"], name="庚报关有限公司"),
    )
    authority.reset()
    yield result
    authority.reset()


def import_order(cast: Cast, order_no: str = "ORD-0001", **head) -> dict:
    data = {
        "guid": new_guid(), "appType": "1", "appTime": NOW, "appStatus": "2", "orderType": "I",
        "orderNo": order_no, "ebpCode": cast.platform.code, "ebpName": "丙电商平台有限公司",
        "ebcCode": cast.ebc.code, "ebcName": "丁跨境电商有限公司",
        "goodsValue": "200.00", "freight": "10.00", "discount": "5.00", "taxTotal": "18.20", "acturalPaid": "223.20",
        "currency": "142", "buyerRegNo": "buyer001", "buyerName": "李四", "buyerTelephone": "13900001111",
        "buyerIdType": "1", "buyerIdNumber": BUYER_ID, "consignee": "李四", "consigneeTelephone": "13900001111",
        "consigneeAddress": "浙江省杭州市西湖区文三路1号", "consigneeDistrict": "330106",
    }
    data.update(head)
    lines = [
        {"gnum": "1", "itemNo": "SKU-1", "itemName": "面霜", "gmodel": "50ml/瓶", "unit": "142", "qty": "2",
         "price": "60.00", "totalPrice": "120.00", "currency": "142", "country": "502"},
        {"gnum": "2", "itemNo": "SKU-2", "itemName": "口红", "gmodel": "3.5g/支", "unit": "011", "qty": "1",
         "price": "80.00", "totalPrice": "80.00", "currency": "142", "country": "303"},
    ]
    return {"kind": "CEB311", "head": data, "lines": lines}


def import_payment(cast: Cast, order_no: str = "ORD-0001", **head) -> dict:
    data = {
        "guid": new_guid(), "appType": "1", "appTime": NOW, "appStatus": "2", "payCode": cast.payer.code,
        "payName": "戊支付有限公司", "payTransactionId": f"PAY-{order_no}", "orderNo": order_no,
        "ebpCode": cast.platform.code, "ebpName": "丙电商平台有限公司", "payerIdType": "1",
        "payerIdNumber": BUYER_ID, "payerName": "李四", "telephone": "13900001111", "amountPaid": "223.20",
        "currency": "142", "payTime": NOW,
    }
    data.update(head)
    return {"kind": "CEB411", "head": data}


def import_waybill(cast: Cast, order_no: str = "ORD-0001", **head) -> dict:
    data = {
        "guid": new_guid(), "appType": "1", "appTime": NOW, "appStatus": "2", "logisticsCode": cast.logistics.code,
        "logisticsName": "己物流有限公司", "logisticsNo": f"WB-{order_no}", "orderNo": order_no, "freight": "10",
        "insuredFee": "0", "currency": "142", "weight": "0.8", "packNo": "1", "goodsInfo": "面霜、口红",
        "consignee": "李四", "consigneeAddress": "浙江省杭州市西湖区文三路1号", "consigneeTelephone": "13900001111",
    }
    data.update(head)
    return {"kind": "CEB511", "head": data}


def import_list(cast: Cast, order_no: str = "ORD-0001", **head) -> dict:
    data = {
        "guid": new_guid(), "appType": "1", "appTime": NOW, "appStatus": "1", "orderNo": order_no,
        "ebpCode": cast.platform.code, "ebpName": "丙电商平台有限公司", "ebcCode": cast.ebc.code,
        "ebcName": "丁跨境电商有限公司", "logisticsNo": f"WB-{order_no}", "logisticsCode": cast.logistics.code,
        "logisticsName": "己物流有限公司", "copNo": f"COP-{order_no}", "assureCode": cast.ebc.code, "ieFlag": "I",
        "declTime": "20261122", "customsCode": "2900", "portCode": "2900", "buyerIdType": "1",
        "buyerIdNumber": BUYER_ID, "buyerName": "李四", "buyerTelephone": "13900001111",
        "consigneeAddress": "浙江省杭州市西湖区文三路1号", "agentCode": cast.ebc.code,
        "agentName": "丁跨境电商有限公司",
        "tradeMode": "9610", "trafMode": "5", "trafNo": "CA1234", "voyageNo": "CA1234", "billNo": "999-12345678",
        "country": "502", "freight": "10", "insuredFee": "0", "currency": "142", "packNo": "1", "grossWeight": "0.9",
        "netWeight": "0.8",
    }
    data.update(head)
    lines = [
        {"gnum": "1", "itemNo": "SKU-1", "itemName": "面霜", "gcode": "3304990000", "gname": "面霜",
         "gmodel": "50ml/瓶", "country": "502", "currency": "142", "qty": "2", "unit": "142", "qty1": "0.1",
         "unit1": "035", "price": "60.00", "totalPrice": "120.00"},
        {"gnum": "2", "itemNo": "SKU-2", "itemName": "口红", "gcode": "3304100000", "gname": "口红",
         "gmodel": "3.5g/支", "country": "303", "currency": "142", "qty": "1", "unit": "011", "qty1": "0.0035",
         "unit1": "035", "price": "80.00", "totalPrice": "80.00"},
    ]
    return {"kind": "CEB621", "head": data, "lines": lines}
