"""Goods filing in Excel: the template, the bulk import with its per-row report, and the export.

The import validates every row with ``goods_validate`` against code tables loaded once, checks
SKUs against the enterprise's existing ones with one query and inside the file, and inserts with
``bulk_create`` in one transaction with one audit event for the whole import.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from itertools import combinations

from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.worksheet.datavalidation import DataValidation

from zone_portal.accounts.models import Organization
from zone_portal.codes.models import Country, Currency, HsCode, Unit

from .goods import MODES, CodeTables, _code, _text, goods_create_many, goods_validate
from .models import GoodsItem

# (input key, Chinese title, English title). The header cell is "中文 (English)".
COLUMNS = (
    ("item_no", "商品货号", "SKU"),
    ("name", "商品名称", "Chinese name"),
    ("name_en", "英文名称", "English name"),
    ("hs_code", "商品编码", "HS code"),
    ("declaration_elements", "申报要素", "Declaration elements"),
    ("brand", "品牌", "Brand"),
    ("model_spec", "规格型号", "Model / specification"),
    ("ingredients", "成分或材质", "Ingredients or material"),
    ("usage", "用途", "Use"),
    ("origin_country", "原产国", "Country of origin"),
    ("legal_unit_1", "第一法定单位", "First legal unit"),
    ("legal_unit_2", "第二法定单位", "Second legal unit"),
    ("declared_unit", "申报单位", "Declared unit"),
    ("unit_price", "单价", "Unit price"),
    ("currency", "币制", "Currency"),
    ("barcode", "条形码", "Barcode (GTIN)"),
    ("manufacturer", "生产企业", "Manufacturer"),
    ("modes", "监管方式", "Customs modes"),
    ("direction", "进出口", "Direction"),
)
KEYS = [c[0] for c in COLUMNS]
TITLES = {key: f"{zh} ({en})" for key, zh, en in COLUMNS}
EXPORT_EXTRA = (("record_no", "备案编号 (Record number)"), ("status", "状态 (Status)"), ("version", "版本 (Version)"))
CODE_SHEET = "codes"
TEXT_COLUMNS = ("item_no", "hs_code", "origin_country", "legal_unit_1", "legal_unit_2", "declared_unit",
                "currency", "barcode", "modes")
MODE_CHOICES = [",".join(c) for n in range(1, len(MODES) + 1) for c in combinations(MODES, n)]
ImportMode = str  # "all_or_nothing" | "good_rows"


def _col_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index)


def _to_bytes(wb: Workbook) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def goods_template(*, rows: int = 10000) -> bytes:
    """The import template: one header row (Chinese and English titles), code columns formatted as
    text, and drop-downs for modes, direction, currency, country, units and HS codes whose lists
    sit on the hidden sheet ``codes``."""
    wb = Workbook()
    ws = wb.active
    ws.title = "goods"
    ws.append([TITLES[k] for k in KEYS])
    ws.freeze_panes = "A2"
    codes = wb.create_sheet(CODE_SHEET)
    codes.sheet_state = "hidden"
    lists = {
        "modes": MODE_CHOICES,
        "direction": ["import", "export"],
        "currency": [f"{c} {n}" for c, n in Currency.objects.filter(is_active=True).values_list("customs_code",
                                                                                                  "name_zh")],
        "origin_country": [f"{c} {n}" for c, n in Country.objects.filter(is_active=True)
                           .values_list("customs_code", "name_zh")],
        "unit": [f"{c} {n}" for c, n in Unit.objects.filter(is_active=True).values_list("code", "name_zh")],
        "hs_code": list(HsCode.objects.filter(is_active=True).values_list("hs_code", flat=True)),
    }
    ranges = {}
    for col, (name, values) in enumerate(lists.items(), start=1):
        letter = _col_letter(col)
        codes.cell(row=1, column=col, value=name)
        for r, value in enumerate(values, start=2):
            codes.cell(row=r, column=col, value=value)
        ranges[name] = f"{CODE_SHEET}!${letter}$2:${letter}${max(2, len(values) + 1)}"
    targets = {"modes": "modes", "direction": "direction", "currency": "currency", "origin_country": "origin_country",
               "legal_unit_1": "unit", "legal_unit_2": "unit", "declared_unit": "unit", "hs_code": "hs_code"}
    for key, list_name in targets.items():
        letter = _col_letter(KEYS.index(key) + 1)
        # HS codes: the bundled table is a sample, so other codes may be typed (validated on import).
        strict = key != "hs_code"
        dv = DataValidation(type="list", formula1=ranges[list_name], allow_blank=True, showErrorMessage=strict)
        dv.add(f"{letter}2:{letter}{rows + 1}")
        ws.add_data_validation(dv)
    for key in TEXT_COLUMNS:
        letter = _col_letter(KEYS.index(key) + 1)
        ws.column_dimensions[letter].number_format = "@"
        ws.column_dimensions[letter].width = 16
    return _to_bytes(wb)


@dataclass
class RowError:
    """One problem of one row: the row number as in the sheet, the column title, a code, a message."""

    row: int
    column: str
    code: str
    message: str


@dataclass
class ImportResult:
    """What a goods import did: rows read, items created, and every row error."""

    mode: str
    rows: int = 0
    created: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def failed_rows(self) -> int:
        return len({e.row for e in self.errors})


class ImportFileError(Exception):
    """The file is not a goods workbook (unreadable, or a required column is missing)."""


def _header_map(header: tuple) -> dict[str, int]:
    wanted = {}
    for key, zh, en in COLUMNS:
        for alias in (TITLES[key], zh, en, key):
            wanted[alias.strip().lower()] = key
    found = {}
    for index, cell in enumerate(header):
        key = wanted.get(str(cell or "").strip().lower())
        if key and key not in found:
            found[key] = index
    return found


def _read_rows(file_bytes: bytes) -> tuple[dict[str, int], list[tuple[int, dict]]]:
    try:
        wb = load_workbook(io.BytesIO(file_bytes), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise ImportFileError(_("The file is not an Excel workbook (.xlsx).")) from exc
    ws = wb["goods"] if "goods" in wb.sheetnames else wb.worksheets[0]
    rows = ws.iter_rows(values_only=True)
    header = next(rows, None) or ()
    columns = _header_map(header)
    missing = [TITLES[k] for k in ("item_no", "name", "hs_code") if k not in columns]
    if missing:
        wb.close()
        raise ImportFileError(_("Missing columns: %(cols)s.") % {"cols": ", ".join(missing)})
    out = []
    for number, values in enumerate(rows, start=2):
        if not values or all(v is None or str(v).strip() == "" for v in values):
            continue
        out.append((number, {key: values[i] if i < len(values) else None for key, i in columns.items()}))
    wb.close()
    return columns, out


def goods_import(*, actor, organization: Organization, file_bytes: bytes, mode: ImportMode) -> ImportResult:
    """Import goods from a workbook as draft items of ``organization``.

    Every row goes through ``goods_validate``; a SKU seen earlier in the file is an error on its
    second occurrence. ``all_or_nothing`` creates nothing when any row fails; ``good_rows``
    creates the valid rows. One transaction, one audit event with the counts.
    """
    if mode not in ("all_or_nothing", "good_rows"):
        raise ValueError(f"unknown import mode {mode!r}")
    rows = _read_rows(file_bytes)[1]
    result = ImportResult(mode=mode, rows=len(rows))
    hs_codes = {_code(r.get("hs_code"), 10) for _n, r in rows}
    tables = CodeTables.load(hs_codes=hs_codes)
    skus = {_text(r.get("item_no")) for _n, r in rows}
    existing = set(GoodsItem.objects.filter(organization=organization, item_no__in=skus)
                   .values_list("item_no", flat=True))
    seen: dict[str, int] = {}
    good: list[dict] = []
    for number, data in rows:
        cleaned, errors = goods_validate(data, organization=organization, tables=tables, existing_skus=existing)
        sku = cleaned["item_no"]
        if sku and sku in seen and not any(e["field"] == "item_no" for e in errors):
            errors.append({"field": "item_no", "code": "sku_duplicate",
                           "message": _("This SKU is already on row %(row)d of the file.") % {"row": seen[sku]}})
        if sku and sku not in seen:
            seen[sku] = number
        for e in errors:
            result.errors.append(RowError(number, TITLES[e["field"]], e["code"], e["message"]))
        if not errors:
            good.append(cleaned)
    if mode == "all_or_nothing" and result.errors:
        good = []
    items, taken = goods_create_many(
        actor=actor, organization=organization, cleaned=good, action="filings.goodsitem.import",
        extra={"mode": mode, "rows": result.rows, "failed_rows": result.failed_rows, "errors": len(result.errors)})
    for sku in sorted(taken):  # created by someone else since the file was checked
        result.errors.append(RowError(seen.get(sku, 0), TITLES["item_no"], "sku_taken",
                                      _("Your enterprise has already registered this SKU.")))
    result.created = len(items)
    return result


def goods_error_report(errors: list[RowError]) -> bytes:
    """The per-row error report of an import as a workbook (row, column, code, message)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "errors"
    ws.append(["行号 (Row)", "列 (Column)", "错误代码 (Code)", "说明 (Message)"])
    for e in errors:
        ws.append([e.row, e.column, e.code, str(e.message)])
    return _to_bytes(wb)


def goods_export(queryset) -> bytes:
    """The goods of ``queryset`` as a workbook in the template's columns (so it can be imported
    again), followed by record number, status and version; each item shows its version in force,
    or its latest version when none is in force."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("goods")
    ws.append([TITLES[k] for k in KEYS] + [title for _key, title in EXPORT_EXTRA])
    for item in queryset.prefetch_related("versions").order_by("organization_id", "item_no"):
        versions = sorted(item.versions.all(), key=lambda v: -v.number)
        version = next((v for v in versions if v.pk == item.effective_version_id), versions[0] if versions else None)
        if version is None:
            continue
        values = {
            "item_no": item.item_no, "hs_code": version.hs_code_id, "origin_country": version.origin_country_id,
            "legal_unit_1": version.legal_unit_1_id, "legal_unit_2": version.legal_unit_2_id or "",
            "declared_unit": version.declared_unit_id, "unit_price": version.unit_price,
            "currency": version.currency_id, "barcode": version.barcode, "modes": ",".join(version.modes),
            "direction": version.direction,
        }
        for key in ("name", "name_en", "declaration_elements", "brand", "model_spec", "ingredients", "usage",
                    "manufacturer"):
            values[key] = getattr(version, key)
        ws.append([values[k] for k in KEYS] + [item.record_no or "", item.status, version.number])
    return _to_bytes(wb)
