"""Valid sample documents of every message kind, built from the spec: what the lint page offers
as a starting point, and what tests and benchmarks spoil one field at a time.

Every field gets a value that passes its type, length, fixed-value and code-table checks; the
cross-field rules hold (gnum from 1, totalPrice = price × qty, the order's money identity); the
enterprise code fields are the ones given (``codes={"ebpCode": …, "ebcCode": …}``).
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.utils import timezone

from .spec import KINDS, FieldSpec, MessageKind
from .validate import FIXED_BY_KIND, FIXED_VALUES

SAMPLE_CODES = {
    "currency": "142", "fCurrency": "142", "iCurrency": "142", "country": "502", "tradeCountry": "502",
    "unit": "011", "unit1": "035", "unit2": "011", "trafMode": "5", "wrapType": "2", "customsCode": "2900",
    "portCode": "2900", "consigneeDistrict": "330106", "gcode": "3304990000",
    "buyerIdNumber": "360426199101010071", "payerIdNumber": "360426199101010071",
    "buyerTelephone": "13900001111", "consigneeTelephone": "13900001111", "telephone": "13900001111",
    "buyerName": "李四", "payerName": "李四", "consignee": "李四", "consigneeAddress": "浙江省杭州市西湖区文三路1号",
    "POD": "USA",
}
EXPORT_CODES = {"currency": "502", "fCurrency": "502", "iCurrency": "502"}


def new_guid() -> str:
    return str(uuid.uuid4()).upper()


def _value(spec: FieldSpec, kind: MessageKind, now: str, number: str) -> str:
    name = spec.name
    allowed = (FIXED_BY_KIND.get((kind.code, name)) or FIXED_VALUES.get((kind.direction, name))
               or FIXED_VALUES.get(("*", name)))
    if name == "guid":
        return new_guid()
    if name == "ieFlag":
        return "I" if kind.code == "CEB213" or kind.direction == "I" else "E"
    if name == "appStatus":
        return "1" if kind.signature_required else "2"  # a signed kind is declared (2) only with its signature
    if allowed:
        return allowed[0]
    if kind.direction == "E" and name in EXPORT_CODES:
        return EXPORT_CODES[name]
    if name in SAMPLE_CODES:
        return SAMPLE_CODES[name]
    if name == "tradeMode":
        return "9610"
    if spec.kind == "N":
        return "1"
    if "YYYYMMDDhhmmss" in spec.meaning and "SSS" not in spec.meaning:
        return now
    if "YYYYMMDD" in spec.meaning and spec.max in (0, 8):
        return now[:8]
    width = spec.exact or min(spec.max or 12, 12)
    base = f"{name[:4].upper()}{number}"
    return (base * 4)[:width] if spec.exact else base[:width]


def sample_document(kind_code: str, *, codes: dict[str, str], number: str = "0001", lines: int = 2,
                    **overrides) -> dict:
    """``{"kind", "head", "lines"}`` for ``kind_code`` with the given enterprise codes."""
    kind = KINDS[kind_code]
    now = timezone.localtime().strftime("%Y%m%d%H%M%S")
    head = {f.name: _value(f, kind, now, number) for f in kind.head_fields}
    for name in ("ebpCode", "ebcCode", "payCode", "logisticsCode", "agentCode", "operatorCode", "assureCode",
                 "ownerCode", "declAgentCode", "iacCode"):
        if name in head:
            head[name] = codes.get(name) or codes.get("ebcCode") or head[name]
    for key in ("orderNo", "logisticsNo", "copNo", "invtNo", "payTransactionId", "payNo"):
        if key in head:
            head[key] = f"{key[:3].upper()}-{number}"
    body = []
    for gnum in range(1, (lines if kind.lines else 0) + 1):
        line = {f.name: _value(f, kind, now, number) for f in kind.line_fields}
        if "gnum" in line:
            line["gnum"] = str(gnum)
        for name, value in (("qty", "2"), ("price", "10.00"), ("totalPrice", "20.00")):
            if name in line:
                line[name] = value
        if "logisticsNo" in line:
            line["logisticsNo"] = head.get("logisticsNo") or f"LOG-{number}"
        if "invtNo" in line:
            line["invtNo"] = f"INV-{number}-{gnum}"
        if "itemRecordNo" in line:
            line["itemRecordNo"] = ""
        body.append(line)
    if kind.code == "CEB311":
        total = sum((Decimal(line["totalPrice"]) for line in body), Decimal(0))
        head.update(goodsValue=f"{total:.2f}", freight="0", discount="0", taxTotal="0", acturalPaid=f"{total:.2f}")
    if kind.code == "CEB411":
        head["amountPaid"] = "40.00"
    if kind.code == "CEB603":
        head["statisticsFlag"] = "B"
    head.update(overrides)
    return {"kind": kind.code, "head": head, "lines": body}
