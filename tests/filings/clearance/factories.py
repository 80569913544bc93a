"""Builders of clearance tests: HS codes with dated rates, the seeded policy rows, and inventory lists
written straight into the hub's tables (as a reconciled list looks after the hub stored it and the
reconciliation matched it) — for the tests that do not need the hub's validation on the way in.

The factory-boy factories at the end make one plain row of each clearance model (a list without
its version, a tax bill without the assessment that computed it) for tests of pages and
permissions that need the rows, not the pipeline."""

from __future__ import annotations

import importlib
import uuid
from datetime import date, datetime
from decimal import Decimal

import factory
from django.utils import timezone

from filings.clearance.models import (
    InventoryList,
    ListStateChange,
    QuotaCharge,
    QuotaLedger,
    RetailImportPolicy,
    ReturnWindow,
    TaxBill,
    TaxBillLine,
)
from filings.models import Declaration, DeclarationVersion
from tests.accounts.factories import OrganizationFactory
from tests.filings.factories import DeclarationFactory
from zone_portal.codes.models import Hs6, HsCode, HsRate, Unit
from zone_portal.core import crypto

BUYER_ID = "360426199101010071"
OTHER_BUYER_ID = "11010519491231002X"
BUYER_NAME = "李四"
# Rates chosen to exercise every part of the formula: plain VAT, ad-valorem consumption tax, and a
# compound (ad-valorem + specific per litre) one.
CREAM, LIPSTICK, WHISKY, MILK = "3304990000", "3304100000", "2208300000", "0402210000"
RATES = {
    CREAM: ("0.13", "0", "0", None),
    LIPSTICK: ("0.13", "0.15", "0", None),
    WHISKY: ("0.13", "0.20", "0.912", "095"),
    MILK: ("0.13", "0", "0", None),
}


def ensure_policies() -> None:
    """The seeded policy rows and return windows (transactional tests flush what migrations loaded)."""
    seed = importlib.import_module("filings.clearance.migrations.0002_seed_policy_sequences").seed
    from django.apps import apps

    seed(apps, None)


def ensure_unit(code: str) -> Unit:
    return Unit.objects.get_or_create(code=code, defaults={"name_zh": code})[0]


def ensure_rate(gcode: str, vat: str, ct: str = "0", specific: str = "0", unit: str | None = None,
                effective_from: date = date(2019, 1, 1)) -> HsRate:
    ensure_unit("035")
    if unit:
        ensure_unit(unit)
    Hs6.objects.get_or_create(hs6=gcode[:6], defaults={"description_en": "test", "heading": gcode[:4],
                                                       "chapter": gcode[:2]})
    HsCode.objects.get_or_create(hs_code=gcode, defaults={"name_zh": "测试商品", "hs6_id": gcode[:6],
                                                          "legal_unit_1_id": unit or "035"})
    rate, _created = HsRate.objects.update_or_create(
        hs_code_id=gcode, effective_from=effective_from,
        defaults={"vat_rate": Decimal(vat), "consumption_tax_rate": Decimal(ct),
                  "consumption_tax_specific": Decimal(specific), "consumption_tax_specific_unit_id": unit,
                  "export_refund_rate": Decimal("0.13")})
    return rate


def ensure_rates() -> None:
    for gcode, (vat, ct, specific, unit) in RATES.items():
        ensure_rate(gcode, vat, ct, specific, unit)


def line(gnum: int, gcode: str, qty: str, price: str, **extra) -> dict:
    total = (Decimal(qty) * Decimal(price)).quantize(Decimal("0.00001"))
    data = {"gnum": str(gnum), "itemNo": f"SKU-{gnum}", "itemName": f"商品{gnum}", "gcode": gcode,
            "gname": f"商品{gnum}", "gmodel": "规格", "country": "502", "currency": "142", "qty": qty, "unit": "011",
            "qty1": qty, "unit1": "035", "price": price, "totalPrice": f"{total}"}
    data.update(extra)
    return data


_counter = iter(range(1, 10 ** 9))


def make_list(*, organization=None, lines: list[dict] | None = None, buyer_id: str = BUYER_ID,
              buyer_name: str = BUYER_NAME, freight: str = "0", insured_fee: str = "0", trade_mode: str = "9610",
              direction: str = "I", state: str = Declaration.ListState.RECONCILED, declared_at: datetime | None = None,
              parties: list[int] | None = None, order_no: str | None = None, invt_no: str = "",
              released_at: datetime | None = None, logistics_no: str | None = None) -> Declaration:
    """An inventory list as the hub stores it (declaration row and its version in force)."""
    organization = organization or OrganizationFactory()
    n = next(_counter)
    order_no = order_no or f"ORD-T{n:06d}-{uuid.uuid4().hex[:6]}"
    logistics_no = logistics_no or f"WB-{order_no}"
    lines = lines if lines is not None else [line(1, CREAM, "2", "60"), line(2, LIPSTICK, "1", "80")]
    kind = "CEB621" if direction == "I" else "CEB603"
    guid = str(uuid.uuid4()).upper()
    head = {"guid": guid, "appType": "1", "appTime": "20260301120000", "appStatus": "2", "orderNo": order_no,
            "ebpCode": "91330100EBP0000001", "ebcCode": organization.uscc, "logisticsNo": logistics_no,
            "logisticsCode": "91330100LOG0000001", "copNo": f"COP-{n}", "assureCode": organization.uscc,
            "ieFlag": direction, "customsCode": "2900", "portCode": "2900", "agentCode": organization.uscc,
            "tradeMode": trade_mode, "trafMode": "5", "country": "502", "freight": freight, "insuredFee": insured_fee,
            "currency": "142", "packNo": "1", "grossWeight": "1", "netWeight": "1", "invtNo": invt_no}
    if direction == "E":
        head["statisticsFlag"] = "B"
    declared_at = declared_at or timezone.now()
    d = Declaration.objects.create(
        kind=kind, direction=direction, doc_type="inventory", organization=organization,
        business_key=f"{head['ebpCode']}|{order_no}" if direction == "I" else f"{organization.uscc}|COP-{n}",
        guid=guid, app_type="1", app_status="2", order_no=order_no, ebp_code=head["ebpCode"],
        ebc_code=organization.uscc, logistics_code=head["logisticsCode"], agent_code=organization.uscc,
        logistics_no=logistics_no, cop_no=head["copNo"], trade_mode=trade_mode, invt_no=invt_no,
        amount=sum((Decimal(x["totalPrice"]) for x in lines), Decimal(0)), currency="142",
        buyer_id_bidx=crypto.blind_index(buyer_id, "id_number") if direction == "I" else None,
        buyer_name_bidx=crypto.blind_index(buyer_name, "text") if direction == "I" else None,
        parties=parties or [organization.pk], return_status="120", list_state=state, declared_at=declared_at,
        updated_at=declared_at, released_at=released_at)
    DeclarationVersion.objects.create(declaration=d, number=1, guid=guid, app_type="1", app_status="2", head=head,
                                      lines=lines, source="json", received_at=declared_at)
    return d


REQUEST_TYPES = {"CEB623": ("I", "cancel"), "CEB625": ("I", "refund"), "CEB605": ("E", "cancel"),
                 "CEB213": ("E", "refund"), "CEB509": ("E", "departure")}


def make_request(kind: str, target: Declaration | None = None, *, organization=None, lines: list[dict] | None = None,
                 buyer_id: str = BUYER_ID, buyer_name: str = BUYER_NAME, app_status: str = "2",
                 **head_values) -> Declaration:
    """A cancellation, return or departure as the hub stores it once accepted (returnStatus 120)."""
    direction, doc_type = REQUEST_TYPES[kind]
    organization = organization or (target.organization if target is not None else OrganizationFactory())
    source = target.versions.get(guid=target.guid).head if target is not None else {}
    guid = str(uuid.uuid4()).upper()
    head = {"guid": guid, "appType": "1", "appTime": "20260301120000", "appStatus": app_status,
            "customsCode": "2900", "invtNo": target.invt_no if target is not None else "",
            "ebcCode": source.get("ebcCode", organization.uscc), "ebpCode": source.get("ebpCode", ""),
            "orderNo": source.get("orderNo", ""), "logisticsNo": source.get("logisticsNo", ""),
            "logisticsCode": source.get("logisticsCode", ""), "agentCode": organization.uscc, "reason": "不想要了",
            "copNo": f"REQ-{uuid.uuid4().hex[:8]}"}
    head.update(head_values)
    if lines is None and doc_type == "refund" and target is not None:
        lines = [{"gnum": x["gnum"], "gcode": x["gcode"], "gname": x["gname"], "qty": x["qty"], "unit": x["unit"]}
                 for x in target.versions.get(guid=target.guid).lines]
    is_import = direction == "I"
    d = Declaration.objects.create(
        kind=kind, direction=direction, doc_type=doc_type, organization=organization,
        business_key=f"{head['invtNo']}|{guid}", guid=guid, app_type="1", app_status=app_status,
        order_no=head.get("orderNo", ""), ebp_code=head.get("ebpCode", ""), ebc_code=head.get("ebcCode", ""),
        logistics_code=head.get("logisticsCode", ""), agent_code=organization.uscc,
        logistics_no=head.get("logisticsNo", ""), invt_no=head["invtNo"], cop_no=head["copNo"],
        buyer_id_bidx=crypto.blind_index(buyer_id, "id_number") if is_import else None,
        buyer_name_bidx=crypto.blind_index(buyer_name, "text") if is_import else None,
        parties=[organization.pk], return_status="120" if app_status == "2" else "1", list_state="")
    DeclarationVersion.objects.create(declaration=d, number=1, guid=guid, app_type="1", app_status=app_status,
                                      head=head, lines=lines or [], source="json")
    return d


# --- factory-boy factories -----------------------------------------------------------------------


class RetailImportPolicyFactory(factory.django.DjangoModelFactory):
    """The policy in force since 2019-01-01 (财关税〔2018〕49号); migrations seed it, so the factory
    returns the seeded row unless given another ``valid_from``."""

    class Meta:
        model = RetailImportPolicy
        django_get_or_create = ("valid_from",)

    valid_from = date(2019, 1, 1)
    single_limit = Decimal("5000")
    annual_limit = Decimal("26000")
    tax_factor = Decimal("0.7")
    single_item_rule = RetailImportPolicy.SingleItemRule.FULL_TAX
    source = "财关税〔2018〕49号"


class ReturnWindowFactory(factory.django.DjangoModelFactory):
    """The retail-import return window (30 days after release); seeded by migrations like the policy."""

    class Meta:
        model = ReturnWindow
        django_get_or_create = ("direction", "valid_from")

    direction = Declaration.Direction.IMPORT
    valid_from = date(2016, 4, 8)
    days = 30


class InventoryListFactory(DeclarationFactory):
    """A reconciled retail-import list (CEB621) of one cream at 100 CNY, with its customs number;
    without a version (``make_list`` writes one for the tests that assess it)."""

    class Meta:
        model = InventoryList

    class Params:
        buyer_id = BUYER_ID
        buyer_name = BUYER_NAME

    kind = "CEB621"
    doc_type = "inventory"
    business_key = factory.LazyAttribute(lambda o: f"{o.ebp_code}|{o.order_no}")
    ebc_code = factory.LazyAttribute(lambda o: o.organization.uscc)
    agent_code = factory.LazyAttribute(lambda o: o.organization.uscc)
    logistics_code = "91330100LOG0000001"
    logistics_no = factory.LazyAttribute(lambda o: f"WB-{o.order_no}")
    invt_no = factory.Sequence(lambda n: f"29002026I8{n:08d}")
    cop_no = factory.Sequence(lambda n: f"COP-F{n:06d}")
    trade_mode = "9610"
    amount = Decimal("100.00000")
    buyer_id_bidx = factory.LazyAttribute(lambda o: crypto.blind_index(o.buyer_id, "id_number"))
    buyer_name_bidx = factory.LazyAttribute(lambda o: crypto.blind_index(o.buyer_name, "text"))
    list_state = Declaration.ListState.RECONCILED


class QuotaLedgerFactory(factory.django.DjangoModelFactory):
    """One buyer's purchases this year; each row is another buyer unless ``buyer_id`` is given."""

    class Meta:
        model = QuotaLedger

    class Params:
        buyer_id = factory.Sequence(lambda n: f"1101051990{n:08d}")

    buyer_id_bidx = factory.LazyAttribute(lambda o: crypto.blind_index(o.buyer_id, "id_number"))
    year = factory.LazyFunction(lambda: timezone.localdate().year)
    used = Decimal("100.00000")


class QuotaChargeFactory(factory.django.DjangoModelFactory):
    """What a list counts against its buyer's annual quota: its whole amount, nothing restored."""

    class Meta:
        model = QuotaCharge

    declaration = factory.SubFactory(InventoryListFactory)
    buyer_id_bidx = factory.LazyAttribute(lambda o: o.declaration.buyer_id_bidx)
    buyer_name_bidx = factory.LazyAttribute(lambda o: o.declaration.buyer_name_bidx or "")
    year = factory.LazyAttribute(lambda o: timezone.localtime(o.declaration.declared_at).year)
    amount = factory.LazyAttribute(lambda o: o.declaration.amount)
    policy = factory.SubFactory(RetailImportPolicyFactory)


class TaxBillFactory(factory.django.DjangoModelFactory):
    """The tax bill of a 100 CNY cream list: VAT 13 % at the policy's 70 %, no tariff, no consumption tax."""

    class Meta:
        model = TaxBill

    declaration = factory.SubFactory(InventoryListFactory)
    guid = factory.LazyFunction(lambda: str(uuid.uuid4()).upper())
    # a serial the database sequence (which numbers real bills from 1) does not reach in a test
    tax_no = factory.Sequence(lambda n: f"T29002026{900000000 + n:010d}")
    invt_no = factory.LazyAttribute(lambda o: o.declaration.invt_no)
    tax_price = Decimal("100.00000")
    customs_tax = Decimal("0")
    value_added_tax = Decimal("9.10000")
    consumption_tax = Decimal("0")
    tax_factor = Decimal("0.7")
    policy = factory.SubFactory(RetailImportPolicyFactory)
    ebc_code = factory.LazyAttribute(lambda o: o.declaration.ebc_code)
    logistics_code = factory.LazyAttribute(lambda o: o.declaration.logistics_code)
    agent_code = factory.LazyAttribute(lambda o: o.declaration.agent_code)
    customs_code = "2900"


class TaxBillLineFactory(factory.django.DjangoModelFactory):
    """The one line of ``TaxBillFactory``'s bill: a face cream, VAT only."""

    class Meta:
        model = TaxBillLine

    bill = factory.SubFactory(TaxBillFactory)
    gnum = 1
    gcode = CREAM
    gname = "面霜"
    qty = Decimal("1")
    unit = "011"
    tax_price = Decimal("100.00000")
    vat_rate = Decimal("0.13")
    consumption_tax_rate = Decimal("0")
    rate_effective_from = date(2019, 1, 1)
    customs_tax = Decimal("0")
    value_added_tax = Decimal("9.10000")
    consumption_tax = Decimal("0")


class ListStateChangeFactory(factory.django.DjangoModelFactory):
    """The step that reconciliation makes: a declared list became reconciled (by the system)."""

    class Meta:
        model = ListStateChange

    declaration = factory.SubFactory(InventoryListFactory)
    from_state = Declaration.ListState.DECLARED
    to_state = Declaration.ListState.RECONCILED
    actor_label = "system"
