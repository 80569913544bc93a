"""Validation of one declared document against the spec: types, lengths, required fields, code
tables, fixed values and the cross-field rules of customs.md §1.4 — the same for JSON and CEB XML.

Checks are compiled once per entity into small closures (a bulk request validates thousands of
documents; the field loop is the hot path). Values stay the strings the partner declared;
numbers are checked against their N19,5 shape and compared as ``Decimal``.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from stdnum.cn import ric

from .rules import Problem
from .spec import DocType, FieldSpec, MessageKind

GUID_RE = re.compile(r"^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$")
DATETIME14_RE = re.compile(r"^\d{14}$")
DATE8_RE = re.compile(r"^\d{8}$")
CENT = Decimal("0.01")

# Fields whose value the spec fixes, by direction ("*" both).
FIXED_VALUES: dict[tuple[str, str], tuple[str, ...]] = {
    ("*", "appType"): ("1", "2", "3"),
    ("*", "appStatus"): ("1", "2"),
    ("I", "currency"): ("142",),
    ("I", "buyerIdType"): ("1",),
    ("I", "payerIdType"): ("1",),
    ("I", "orderType"): ("I",),
    ("E", "orderType"): ("E", "B", "W"),
    ("*", "logisticsStatus"): ("S",),
    ("*", "statisticsFlag"): ("A", "B"),
    ("*", "fFlag"): ("1", "2", "3"),
    ("*", "iFlag"): ("1", "2", "3"),
    ("*", "summaryFlag"): ("1", "2"),
    ("*", "itemNameFlag"): ("1",),
    ("*", "dxpMode"): ("DXP",),
}
# Required in the reference's table (Y) but optional by its own meaning: CEB701 itemNameFlag
# "填1 … 不填则按商品综合分类名汇总" — blank means "group by the classification name" (customs.md §2).
OPTIONAL_BY_KIND = {("CEB701", "itemNameFlag")}
# Import waybill and list: packNo limited to 1 (customs.md §1.4).
FIXED_BY_KIND = {("CEB511", "packNo"): ("1",), ("CEB621", "packNo"): ("1",), ("CEB623", "appType"): ("1",)}
IE_FLAGS = {"I": ("I",), "E": ("E",)}

# Which code table a field's value must come from.
CODE_FIELDS = {
    "currency": "currency", "fCurrency": "currency", "iCurrency": "currency",
    "country": "country", "tradeCountry": "country",
    "unit": "unit", "unit1": "unit", "unit2": "unit",
    "tradeMode": "trade_mode", "trafMode": "transport_mode", "wrapType": "wrap_type",
    "customsCode": "customs_district", "portCode": "customs_district",
    "consigneeDistrict": "division",
}
TABLE_LABELS = {
    "currency": "币制/currency", "country": "国别/country", "unit": "计量单位/unit",
    "trade_mode": "监管方式/trade mode",
    "transport_mode": "运输方式/transport mode", "wrap_type": "包装种类/wrap type",
    "customs_district": "关区/customs district", "division": "行政区划/division", "hs": "HS",
}
ID_NUMBER_FIELDS = ("buyerIdNumber", "payerIdNumber")
TRADE_MODES = {"I": ("9610", "1210", "1239"), "E": ("9610", "1210", "1239", "9710", "9810")}


@dataclass
class CodeSets:
    currency: frozenset = frozenset()
    country: frozenset = frozenset()
    unit: frozenset = frozenset()
    trade_mode: frozenset = frozenset()
    transport_mode: frozenset = frozenset()
    wrap_type: frozenset = frozenset()
    customs_district: frozenset = frozenset()
    division: frozenset = frozenset()
    hs6: frozenset = frozenset()
    hs4: frozenset = frozenset()

    @classmethod
    def load(cls) -> CodeSets:
        from zone_portal.codes.models import (
            Country,
            Currency,
            CustomsDistrict,
            Division,
            Hs6,
            TradeMode,
            TransportMode,
            Unit,
            WrapType,
        )

        def active(model, column):
            return frozenset(model.objects.filter(is_active=True).values_list(column, flat=True))

        hs6 = frozenset(Hs6.objects.values_list("hs6", flat=True))
        return cls(
            currency=active(Currency, "customs_code"), country=active(Country, "customs_code"),
            unit=active(Unit, "code"), trade_mode=active(TradeMode, "code"),
            transport_mode=active(TransportMode, "code"), wrap_type=active(WrapType, "code"),
            customs_district=active(CustomsDistrict, "code"),
            division=frozenset(Division.objects.values_list("code", flat=True)),
            hs6=hs6, hs4=frozenset(code[:4] for code in hs6),
        )


_codes_lock = threading.Lock()
_codes_cache: tuple[float, CodeSets] | None = None
CODES_TTL_SECONDS = 300


def code_sets(*, refresh: bool = False) -> CodeSets:
    """The code tables as sets, cached in the process for a few minutes (they change rarely,
    through the back office import; a stale minute only delays a new code)."""
    global _codes_cache
    with _codes_lock:
        now = time.monotonic()
        if refresh or _codes_cache is None or now - _codes_cache[0] > CODES_TTL_SECONDS:
            _codes_cache = (now, CodeSets.load())
        return _codes_cache[1]


def reset_code_cache() -> None:
    global _codes_cache
    with _codes_lock:
        _codes_cache = None


# --- compiled field checks -------------------------------------------------------------------

Check = Callable[[Any, str, list, CodeSets], Any]


def _number_re(spec: FieldSpec) -> re.Pattern:
    whole = max(spec.max - spec.scale, 1)
    if spec.scale:
        return re.compile(rf"^-?\d{{1,{whole}}}(\.\d{{1,{spec.scale}}})?$")
    return re.compile(rf"^-?\d{{1,{whole}}}$")


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (int, Decimal)):
        return str(value)
    if isinstance(value, str):
        return value.strip()
    return None


def _compile_field(spec: FieldSpec, kind: MessageKind) -> Callable[[dict, str, list, CodeSets], None]:
    name = spec.name
    allowed = (FIXED_BY_KIND.get((kind.code, name)) or FIXED_VALUES.get((kind.direction, name))
               or FIXED_VALUES.get(("*", name)))
    if name == "ieFlag":
        allowed = ("I",) if kind.code == "CEB213" else IE_FLAGS[kind.direction]
    table = CODE_FIELDS.get(name)
    number_re = _number_re(spec) if spec.kind == "N" else None
    fmt = None
    if spec.kind == "C" and "YYYYMMDDhhmmssSSS" not in spec.meaning:
        if "YYYYMMDDhhmmss" in spec.meaning or "YYYYMMDDHHmmss" in spec.meaning:
            fmt = (DATETIME14_RE, "YYYYMMDDhhmmss", "20260101120000")
        elif "YYYYMMDD" in spec.meaning and spec.max in (0, 8) and spec.exact in (0, 8):
            fmt = (DATE8_RE, "YYYYMMDD", "20260101")
    type_label = spec.type_label
    is_id = name in ID_NUMBER_FIELDS
    is_guid = name == "guid"
    is_gcode = name == "gcode"
    required = spec.required and (kind.code, name) not in OPTIONAL_BY_KIND
    exact, max_len = (spec.exact, spec.max) if spec.kind == "C" else (0, 0)

    def check(data: dict, prefix: str, problems: list, codes: CodeSets) -> None:
        raw = data.get(name)
        value = raw.strip() if type(raw) is str else _as_text(raw)  # a text, nearly always: no call
        if raw is not None and value is None:
            problems.append(Problem(-900104 if number_re else -900118, prefix + name,
                                    {"type": type_label, "scale": spec.scale, "max": spec.max,
                                     "detail": f"{name}: {type(raw).__name__}"}))
            return
        if not value:
            if required:
                problems.append(Problem(-900101, prefix + name, {"type": type_label}))
            if name in data:
                data[name] = ""
            return
        data[name] = value
        if number_re is not None:
            if not number_re.match(value):
                problems.append(Problem(-900104, prefix + name,
                                        {"type": type_label, "scale": spec.scale, "max": spec.max}))
            return
        if exact and len(value) != exact:
            problems.append(Problem(-900112 if is_guid else -900103, prefix + name, {"exact": exact}))
            return
        if max_len and len(value) > max_len:
            problems.append(Problem(-900102, prefix + name, {"max": max_len}))
            return
        if is_guid and not GUID_RE.match(value):
            problems.append(Problem(-900112, prefix + name))
        elif allowed is not None and value not in allowed:
            problems.append(Problem(-900107, prefix + name, {"allowed": " / ".join(allowed)}))
        elif table is not None and value not in getattr(codes, table):
            problems.append(Problem(-900105, prefix + name, {"value": value, "table": TABLE_LABELS[table]}))
        elif fmt is not None and not fmt[0].match(value):
            problems.append(Problem(-900106, prefix + name, {"format": fmt[1], "example": fmt[2]}))
        elif is_id and not _valid_resident_id(value):
            problems.append(Problem(-900108, prefix + name))
        elif is_gcode:
            # the first six digits are an HS 2022 subheading; a heading-level code (4 digits, then
            # zeros: export simplified declaration) is checked against the HS headings
            digits = value if value.isdigit() else ""
            heading_only = len(digits) == 4 or digits[4:] == "0" * (len(digits) - 4)
            found = digits[:4] in codes.hs4 if heading_only else digits[:6] in codes.hs6
            if len(digits) < 4 or not found:
                problems.append(Problem(-900105, prefix + name, {"value": value, "table": TABLE_LABELS["hs"]}))

    return check


# (area code, birth year) → whether the area existed that year: stdnum's look-up of the area in
# its table costs ~0.2 ms, the same few thousand areas come again and again
_BIRTH_PLACES: dict[tuple[str, int], bool] = {}


def _valid_resident_id(value: str) -> bool:
    """GB 11643 as ``stdnum.cn.ric.validate``: 18 characters, check digit, birth date, and an
    area code in use in the birth year. ASCII input (nearly all) is checked here in one pass —
    stdnum's ``compact`` ran three times per number and cost more than the rest of an order's
    fields; other input goes through stdnum whole. ``tests/filings/hub/test_rules.py`` holds the
    two to the same answers."""
    if not value.isascii():
        return _valid_resident_id_stdnum(value)
    number = value.upper().strip()  # stdnum's compact() for ASCII (an inner space stays, and fails)
    if len(number) != 18 or not number[:17].isdigit():
        return False
    checksum = (1 - 2 * int(number[:17], 13)) % 11  # stdnum's calc_check_digit
    if number[17] != ("X" if checksum == 10 else str(checksum)):
        return False
    try:
        year = date(int(number[6:10]), int(number[10:12]), int(number[12:14])).year
    except ValueError:
        return False
    return _born_where_known(number, year)


def _valid_resident_id_stdnum(value: str) -> bool:
    try:
        number = ric.compact(value)
        if len(number) != 18 or not number[:-1].isdigit() or number[-1] != ric.calc_check_digit(number):
            return False
        year = ric.get_birth_date(number).year
    except Exception:  # stdnum raises its own ValidationError subclasses
        return False
    return _born_where_known(number, year)


def _born_where_known(number: str, year: int) -> bool:
    key = (number[:6], year)
    known = _BIRTH_PLACES.get(key)
    if known is None:
        try:
            ric.get_birth_place(number)
            known = True
        except Exception:
            known = False
        if len(_BIRTH_PLACES) < 100_000:
            _BIRTH_PLACES[key] = known
    return known


@dataclass
class CompiledKind:
    kind: MessageKind
    head_checks: list
    line_checks: list
    head_names: frozenset
    line_names: frozenset


_compiled: dict[str, CompiledKind] = {}


def compiled(kind: MessageKind) -> CompiledKind:
    found = _compiled.get(kind.code)
    if found is None:
        found = CompiledKind(
            kind=kind,
            head_checks=[_compile_field(f, kind) for f in kind.head_fields],
            line_checks=[_compile_field(f, kind) for f in kind.line_fields],
            head_names=frozenset(f.name for f in kind.head_fields),
            line_names=frozenset(f.name for f in kind.line_fields),
        )
        _compiled[kind.code] = found
    return found


# --- the document ------------------------------------------------------------------------------

@dataclass
class Document:
    """One declared document as received: its kind, header and lines (dicts of the spec's field
    names), whether it carried a signature, and where it sat in the request."""

    kind: MessageKind
    head: dict
    lines: list[dict] = field(default_factory=list)
    index: int = 0
    signature: str = ""
    problems: list[Problem] = field(default_factory=list)

    @property
    def guid(self) -> str:
        value = self.head.get("guid")
        return value if isinstance(value, str) else ""

    def key(self) -> tuple[str, ...]:
        return tuple(str(self.head.get(name) or "") for name in self.kind.key_fields)


def validate_document(doc: Document, codes: CodeSets) -> list[Problem]:
    """Every field and rule problem of one document (empty when it is valid). Normalises the
    values in place (strings, stripped)."""
    problems = doc.problems
    ck = compiled(doc.kind)
    head = doc.head
    if not isinstance(head, dict):
        problems.append(Problem(-900118, "head", {"detail": "head"}))
        return problems
    for name in head.keys() - ck.head_names:
        problems.append(Problem(-900113, f"head.{name}"))
    for check in ck.head_checks:
        check(head, "head.", problems, codes)
    kind = doc.kind
    lines = doc.lines
    if kind.lines:
        minimum = 1 if kind.lines_required else 0
        if not isinstance(lines, list) or not minimum <= len(lines) <= kind.max_lines:
            count = len(lines) if isinstance(lines, list) else 0
            problems.append(Problem(-900114, "lines", {"min": minimum, "max": kind.max_lines, "count": count}))
            if not isinstance(lines, list):
                return problems
        for i, line in enumerate(lines):
            prefix = f"lines[{i}]."
            if not isinstance(line, dict):
                problems.append(Problem(-900118, f"lines[{i}]", {"detail": f"lines[{i}]"}))
                continue
            for name in line.keys() - ck.line_names:
                problems.append(Problem(-900113, prefix + name))
            for check in ck.line_checks:
                check(line, prefix, problems, codes)
    elif lines:
        problems.append(Problem(-900114, "lines", {"min": 0, "max": 0, "count": len(lines)}))
    if not problems:
        _cross_field_rules(doc, problems)
    if kind.signature_required and head.get("appStatus") == "2" and not doc.signature:
        problems.append(Problem(-900117, "Signature", {"kind": kind.code}))
    return problems


_transfer_checks: list | None = None


def validate_base_transfer(data: dict, codes: CodeSets) -> list[Problem]:
    """The CEB message's BaseTransfer (copCode, copName, dxpMode, dxpId): types, lengths, DXP."""
    global _transfer_checks
    if _transfer_checks is None:
        from .spec import KINDS, entity_fields

        _transfer_checks = [_compile_field(f, KINDS["CEB311"]) for f in entity_fields("ALL.BaseTransfer")]
    problems: list[Problem] = []
    values = dict(data)
    for check in _transfer_checks:
        check(values, "BaseTransfer.", problems, codes)
    return problems


def _dec(value: Any) -> Decimal:
    try:
        return Decimal(value or "0")
    except (InvalidOperation, TypeError):
        return Decimal(0)


def _cross_field_rules(doc: Document, problems: list[Problem]) -> None:
    kind, head, lines = doc.kind, doc.head, doc.lines
    # gnum consecutive from 1 (list <-> order lines correspond by gnum)
    if lines and "gnum" in lines[0]:
        numbers = [line.get("gnum") for line in lines]
        if len(set(numbers)) != len(numbers):
            problems.append(Problem(-621027, "lines.gnum"))
        elif [int(n) for n in numbers] != list(range(1, len(numbers) + 1)):
            problems.append(Problem(-900111, "lines.gnum"))
    # totalPrice = price x qty (±0.01)
    for i, line in enumerate(lines):
        if "totalPrice" in line and line.get("price") not in (None, "") and line.get("qty") not in (None, ""):
            expected = _dec(line["price"]) * _dec(line["qty"])
            if abs(expected - _dec(line["totalPrice"])) > CENT:
                problems.append(Problem(-900110, f"lines[{i}].totalPrice",
                                        {"gnum": line.get("gnum", i + 1), "expected": f"{expected:.5f}"}))
    # the money identity of the import order
    if kind.code == "CEB311":
        expected = (_dec(head.get("goodsValue")) + _dec(head.get("freight")) + _dec(head.get("taxTotal"))
                    - _dec(head.get("discount")))
        if abs(expected - _dec(head.get("acturalPaid"))) > CENT:
            problems.append(Problem(-900109, "head.acturalPaid", {"expected": f"{expected:.5f}"}))
    if kind.doc_type == DocType.INVENTORY:
        _list_mode_rules(doc, problems)


def _list_mode_rules(doc: Document, problems: list[Problem]) -> None:
    kind, head, lines = doc.kind, doc.head, doc.lines
    mode = head.get("tradeMode", "")
    if mode and mode not in TRADE_MODES[kind.direction]:
        problems.append(Problem(-900107, "head.tradeMode", {"allowed": " / ".join(TRADE_MODES[kind.direction])}))
        return
    if kind.direction == "I":
        if mode in ("1210", "1239"):
            for name in ("emsNo", "areaCode", "areaName"):
                if not head.get(name):
                    problems.append(Problem(-900116, f"head.{name}", {"mode": mode}))
            for i, line in enumerate(lines):
                if not line.get("itemRecordNo"):
                    problems.append(Problem(-900116, f"lines[{i}].itemRecordNo", {"mode": mode}))
            if head.get("country") and head["country"] != "142":
                problems.append(Problem(-900115, "head.country",
                                        {"other": "tradeMode", "detail": "bonded import: country 142"}))
        elif mode == "9610":
            for name in ("trafNo", "voyageNo", "billNo"):
                if not head.get(name):
                    problems.append(Problem(-900116, f"head.{name}", {"mode": mode}))
    else:
        # statisticsFlag A (简化申报) declares the 4-digit HS heading: the C10 gcode is the heading
        # followed by zeros. B (汇总申报) keeps the full 10-digit code (the field type checks that).
        if head.get("statisticsFlag") == "A" and mode == "9610":
            for i, line in enumerate(lines):
                if line.get("gcode", "")[4:] != "000000":
                    problems.append(Problem(-900115, f"lines[{i}].gcode", {
                        "other": "statisticsFlag",
                        "detail": "A (简化申报) declares the 4-digit heading followed by 000000"}))
