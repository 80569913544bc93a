"""The validator's rules on their own (no database): hypothesis properties for the money identity
and line totals, and one passing and one failing case for each remaining rule."""

from __future__ import annotations

import copy
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from filings.hub.spec import KINDS
from filings.hub.validate import CodeSets, Document, validate_document

CODES = CodeSets(
    currency=frozenset({"142", "502", "303"}), country=frozenset({"142", "502", "303"}),
    unit=frozenset({"011", "035", "142"}), trade_mode=frozenset({"9610", "1210", "1239", "9710", "9810"}),
    transport_mode=frozenset({"5", "2"}), wrap_type=frozenset({"2"}), customs_district=frozenset({"2900"}),
    division=frozenset({"330106"}), hs6=frozenset({"330499", "330410"}), hs4=frozenset({"3304"}),
)
ORDER_HEAD = {
    "guid": "4CDE1CFD-EDED-46B1-946C-B8022E42FC94", "appType": "1", "appTime": "20261122120000", "appStatus": "2",
    "orderType": "I", "orderNo": "ORD-1", "ebpCode": "91330000000000001X", "ebpName": "平台",
    "ebcCode": "91330000000000002X", "ebcName": "电商", "goodsValue": "100", "freight": "0", "discount": "0",
    "taxTotal": "0", "acturalPaid": "100", "currency": "142", "buyerRegNo": "b1", "buyerName": "李四",
    "buyerTelephone": "13900001111", "buyerIdType": "1", "buyerIdNumber": "360426199101010071",
    "consignee": "李四", "consigneeTelephone": "13900001111", "consigneeAddress": "杭州",
}
ORDER_LINE = {"gnum": "1", "itemName": "面霜", "gmodel": "50ml", "unit": "011", "qty": "1", "price": "100",
              "totalPrice": "100", "currency": "142", "country": "502"}


def order(head=None, lines=None) -> Document:
    h = copy.deepcopy(ORDER_HEAD)
    h.update(head or {})
    return Document(kind=KINDS["CEB311"], head=h, lines=lines if lines is not None else [dict(ORDER_LINE)])


def codes_of(doc: Document) -> list[tuple[int, str]]:
    return [(p.code, p.field) for p in validate_document(doc, CODES)]


money = st.decimals(min_value=0, max_value=Decimal("99999999"), places=2, allow_nan=False, allow_infinity=False)


@settings(max_examples=200, deadline=None)
@given(goods=money, freight=money, tax=money, discount=money)
def test_money_identity_holds_when_acturalpaid_is_the_sum(goods, freight, tax, discount):
    paid = goods + freight + tax - discount
    doc = order({"goodsValue": str(goods), "freight": str(freight), "taxTotal": str(tax), "discount": str(discount),
                 "acturalPaid": str(paid)}, [dict(ORDER_LINE, price=str(goods), totalPrice=str(goods))])
    problems = codes_of(doc)
    if paid < 0:
        return  # a negative payment has its own answer; the identity itself holds
    assert problems == []


@settings(max_examples=200, deadline=None)
@given(goods=money, freight=money, off=st.decimals(min_value=Decimal("0.02"), max_value=Decimal("1000"), places=2))
def test_money_identity_fails_beyond_a_cent(goods, freight, off):
    doc = order({"goodsValue": str(goods), "freight": str(freight), "acturalPaid": str(goods + freight + off)},
                [dict(ORDER_LINE, price=str(goods), totalPrice=str(goods))])
    assert (-900109, "head.acturalPaid") in codes_of(doc)


@settings(max_examples=200, deadline=None)
@given(price=st.decimals(min_value=0, max_value=Decimal("100000"), places=5),
       qty=st.decimals(min_value=0, max_value=Decimal("10000"), places=5),
       error=st.decimals(min_value=Decimal("-0.0099"), max_value=Decimal("0.0099"), places=5))
def test_total_price_within_a_cent(price, qty, error):
    total = (price * qty).quantize(Decimal("0.00001")) + error
    if total < 0:
        total = Decimal(0)
    doc = order({"goodsValue": str(total), "acturalPaid": str(total)},
                [dict(ORDER_LINE, price=str(price), qty=str(qty), totalPrice=str(total))])
    assert not [c for c, _f in codes_of(doc) if c == -900110]


def test_valid_order_passes():
    assert codes_of(order()) == []


@pytest.mark.parametrize(("head", "expected"), [
    ({"guid": "4cde1cfd-eded-46b1-946c-b8022e42fc94"}, (-900112, "head.guid")),
    ({"appType": "4"}, (-900107, "head.appType")),
    ({"currency": "502"}, (-900107, "head.currency")),
    ({"buyerIdType": "2"}, (-900107, "head.buyerIdType")),
    ({"buyerIdNumber": "360426199101010072"}, (-900108, "head.buyerIdNumber")),
    ({"buyerIdNumber": "990426199101010079"}, (-900108, "head.buyerIdNumber")),  # no such area code
    ({"consigneeDistrict": "999999"}, (-900105, "head.consigneeDistrict")),
    ({"appTime": "2026112212000a"}, (-900106, "head.appTime")),
    ({"goodsValue": "1e5"}, (-900104, "head.goodsValue")),
    ({"orderNo": ""}, (-900101, "head.orderNo")),
])
def test_each_head_rule_fails_alone(head, expected):
    assert codes_of(order(head)) == [expected]


def test_gnum_must_run_from_one_without_gaps():
    lines = [dict(ORDER_LINE, gnum="1"), dict(ORDER_LINE, gnum="3")]
    doc = order({"goodsValue": "200", "acturalPaid": "200"}, lines)
    assert codes_of(doc) == [(-900111, "lines.gnum")]
    lines[1]["gnum"] = "1"
    assert codes_of(order({"goodsValue": "200", "acturalPaid": "200"}, lines)) == [(-621027, "lines.gnum")]


def test_line_codes_and_counts():
    assert codes_of(order(lines=[dict(ORDER_LINE, unit="999")])) == [(-900105, "lines[0].unit")]
    assert codes_of(order(lines=[])) == [(-900114, "lines")]
    hundred = [dict(ORDER_LINE, gnum=str(i + 1)) for i in range(100)]
    assert (-900114, "lines") in codes_of(order(lines=hundred))


def test_number_given_as_json_number_is_kept_as_text():
    doc = order({"freight": 0, "goodsValue": 100, "acturalPaid": 100.0})
    assert codes_of(doc) == []
    assert doc.head["acturalPaid"] == "100.0"


def test_bonded_import_list_needs_its_fields():
    from filings.hub.samples import sample_document
    doc = sample_document("CEB621", codes={"ebcCode": "91330000000000002X"}, tradeMode="1210", emsNo="",
                          country="502")
    document = Document(kind=KINDS["CEB621"], head=doc["head"], lines=doc["lines"])
    found = codes_of(document)
    assert (-900116, "head.emsNo") in found
    assert (-900116, "lines[0].itemRecordNo") in found and (-900116, "lines[1].itemRecordNo") in found
    assert (-900115, "head.country") in found


def test_direct_import_list_needs_transport_fields():
    from filings.hub.samples import sample_document
    doc = sample_document("CEB621", codes={"ebcCode": "91330000000000002X"}, trafNo="", billNo="")
    found = codes_of(Document(kind=KINDS["CEB621"], head=doc["head"], lines=doc["lines"]))
    assert found == [(-900116, "head.trafNo"), (-900116, "head.billNo")]


def test_export_list_hs_level_follows_the_statistics_flag():
    from filings.hub.samples import sample_document
    doc = sample_document("CEB603", codes={"ebcCode": "91330000000000002X"}, statisticsFlag="A")
    found = codes_of(Document(kind=KINDS["CEB603"], head=doc["head"], lines=doc["lines"]))
    assert found == [(-900115, "lines[0].gcode"), (-900115, "lines[1].gcode")]
    for line in doc["lines"]:
        line["gcode"] = "3304000000"
    assert codes_of(Document(kind=KINDS["CEB603"], head=doc["head"], lines=doc["lines"])) == []


SUMMARY_REQUEST_HEAD = {
    "guid": "5CDE1CFD-EDED-46B1-946C-B8022E42FC95", "appType": "1", "appTime": "20261122120000", "appStatus": "2",
    "customsCode": "2900", "copNo": "SUM-1", "agentCode": "91330000000000002X", "agentName": "电商",
    "ebcCode": "91330000000000002X", "ebcName": "电商", "declAgentCode": "91330000000000002X",
    "declAgentName": "电商", "summaryFlag": "1", "itemNameFlag": "1", "msgCount": "1", "msgSeqNo": "1",
}


@pytest.mark.parametrize(("flag", "expected"), [
    ("1", []),  # group by the list's original item name
    ("", []),  # blank: group by the classification name — optional by the field's meaning
    ("2", [(-900107, "head.itemNameFlag")]),
])
def test_summary_request_item_name_flag_is_1_or_blank(flag, expected):
    kind = KINDS["CEB701"]
    head = {name: value for name, value in SUMMARY_REQUEST_HEAD.items() if name in {f.name for f in kind.head_fields}}
    for spec in kind.head_fields:  # any other field the table requires, from the sample values
        head.setdefault(spec.name, SUMMARY_REQUEST_HEAD.get(spec.name, ""))
    head["itemNameFlag"] = flag
    doc = Document(kind=kind, head=head, lines=[])
    problems = [p for p in codes_of(doc) if p[1] == "head.itemNameFlag"]
    assert problems == expected


# Resident ID numbers: the hub's one-pass check answers as stdnum.cn.ric.is_valid does, for
# numbers near valid ones (real and unknown area codes, real and impossible dates, right and wrong
# check digits, lower-case x, inner spaces, full-width digits).
AREAS = ["360426", "330106", "110101", "990426", "110100", "510183", "000000", "420111"]


def _check_char(body17: str) -> str:
    checksum = (1 - 2 * int(body17, 13)) % 11
    return "X" if checksum == 10 else str(checksum)


@st.composite
def id_numbers(draw):
    area = draw(st.sampled_from(AREAS))
    year = draw(st.integers(min_value=1900, max_value=2030))
    month = draw(st.integers(min_value=0, max_value=13))
    day = draw(st.integers(min_value=0, max_value=32))
    seq = draw(st.integers(min_value=0, max_value=999))
    body = f"{area}{year:04d}{month:02d}{day:02d}{seq:03d}"
    check = draw(st.one_of(st.just(_check_char(body)), st.sampled_from("0123456789Xx")))
    number = body + check
    shape = draw(st.sampled_from(["plain", "space", "fullwidth", "short", "letter"]))
    if shape == "space":
        number = number[:6] + " " + number[6:]
    elif shape == "fullwidth":
        number = number[:-2] + chr(0xFF10 + int(number[-2])) + number[-1]
    elif shape == "short":
        number = number[:-1]
    elif shape == "letter":
        number = "A" + number[1:]
    return number


@settings(max_examples=500, deadline=None)
@given(number=id_numbers())
def test_resident_id_check_answers_as_stdnum(number):
    from stdnum.cn import ric

    from filings.hub.validate import _valid_resident_id

    assert _valid_resident_id(number) == ric.is_valid(number)


def test_resident_id_examples():
    from filings.hub.validate import _valid_resident_id

    assert _valid_resident_id("360426199101010071")
    assert _valid_resident_id("11010519491231002X") and _valid_resident_id("11010519491231002x")
    assert not _valid_resident_id("360426199101010072")  # check digit
    assert not _valid_resident_id("360426199102300079")  # 30 February
    assert not _valid_resident_id("990426199101010079")  # no such area
