"""Goods filing in Excel: template drop-downs, the import and its exact report, export round trip."""

import io

import pytest
from openpyxl import Workbook, load_workbook

from filings.goods import goods_create
from filings.goods_excel import KEYS, TITLES, goods_error_report, goods_export, goods_import, goods_template
from filings.models import GoodsItem
from tests.filings import goods_fixtures
from tests.filings.goods_fixtures import good_data
from zone_portal.audit.models import AuditEvent

goods_codes_loaded = goods_fixtures.goods_codes_loaded
goods_codes = goods_fixtures.goods_codes

pytestmark = pytest.mark.usefixtures("goods_codes")


def workbook(rows):
    wb = Workbook()
    ws = wb.active
    ws.title = "goods"
    ws.append([TITLES[k] for k in KEYS])
    for row in rows:
        data = {**row, "modes": ",".join(row["modes"]) if isinstance(row["modes"], list) else row["modes"]}
        ws.append([data.get(k, "") for k in KEYS])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


BAD_FILE_ROWS = [
    good_data(item_no="OK-1"),                                   # row 2
    good_data(item_no="BAD-HS", hs_code="3304990098"),           # row 3: unknown HS code
    good_data(item_no="BAD-UNIT", legal_unit_1="007"),           # row 4: wrong unit for the HS code
    good_data(item_no="BAD-GTIN", barcode="4006381333932"),      # row 5: bad GTIN
    good_data(item_no="NO-NAME", name=""),                       # row 6: missing name
    good_data(item_no="OK-1", name="重复"),                      # row 7: duplicate SKU in the file
    good_data(item_no="OK-2", barcode="", modes=["1210"]),       # row 8
]
EXPECTED = [
    (3, "商品编码 (HS code)", "hs_code_unknown"),
    (4, "第一法定单位 (First legal unit)", "unit_mismatch_hs"),
    (5, "条形码 (Barcode (GTIN))", "gtin_invalid"),
    (6, "商品名称 (Chinese name)", "required"),
    (7, "商品货号 (SKU)", "sku_duplicate"),
]


def test_template_has_headers_and_dropdowns():
    wb = load_workbook(io.BytesIO(goods_template()))
    ws = wb["goods"]
    header = [c.value for c in ws[1]]
    assert header == [TITLES[k] for k in KEYS] and "商品货号 (SKU)" in header
    assert wb["codes"].sheet_state == "hidden"
    by_column = {}
    for dv in ws.data_validations.dataValidation:
        for rng in dv.sqref.ranges:
            by_column[ws.cell(row=1, column=rng.min_col).value] = dv
    for key in ("modes", "direction", "currency", "origin_country", "legal_unit_1", "legal_unit_2",
                "declared_unit"):
        dv = by_column[TITLES[key]]
        assert dv.type == "list" and dv.formula1.startswith("codes!$")
    codes = wb["codes"]
    columns = {codes.cell(row=1, column=c).value: [codes.cell(row=r, column=c).value for r in range(2, 300)]
               for c in range(1, codes.max_column + 1)}
    assert "142 人民币" in columns["currency"] and "303 英国" in columns["origin_country"]
    assert "9610,1210" in columns["modes"] and columns["direction"][:2] == ["import", "export"]


def test_import_report_of_bad_rows_and_all_or_nothing(org_a, user_a):
    result = goods_import(actor=user_a, organization=org_a, file_bytes=workbook(BAD_FILE_ROWS), mode="all_or_nothing")
    assert [(e.row, e.column, e.code) for e in result.errors] == EXPECTED
    assert result.rows == 7 and result.created == 0 and result.failed_rows == 5
    assert "row 2" in result.errors[-1].message
    assert not GoodsItem.objects.filter(organization=org_a).exists()
    event = AuditEvent.objects.get(action="filings.goodsitem.import")
    assert event.extra["created"] == 0 and event.extra["failed_rows"] == 5

    report = load_workbook(io.BytesIO(goods_error_report(result.errors))).active
    rows = list(report.iter_rows(values_only=True))
    assert rows[0][0] == "行号 (Row)"
    assert [(r[0], r[1], r[2]) for r in rows[1:]] == EXPECTED


def test_import_good_rows(org_a, user_a):
    result = goods_import(actor=user_a, organization=org_a, file_bytes=workbook(BAD_FILE_ROWS), mode="good_rows")
    assert result.created == 2 and len(result.errors) == 5
    items = GoodsItem.objects.filter(organization=org_a).order_by("item_no")
    assert [i.item_no for i in items] == ["OK-1", "OK-2"]
    first = items[0].versions.get()
    assert first.name == "保湿面霜" and first.status == "draft" and first.positive_list is True
    assert first.modes == ["1210", "9610"] and first.created_by == user_a
    assert AuditEvent.objects.filter(action="filings.goodsitem.import").count() == 1


def test_import_sku_already_registered(org_a, user_a):
    goods_create(actor=user_a, organization=org_a, data=good_data(item_no="OK-2"))
    result = goods_import(actor=user_a, organization=org_a, file_bytes=workbook([good_data(item_no="OK-2")]),
                          mode="good_rows")
    assert [(e.row, e.code) for e in result.errors] == [(2, "sku_duplicate")] and result.created == 0


def test_import_accepts_dropdown_values_and_numbers(org_a, user_a):
    row = good_data(item_no=12345, currency="142 人民币", origin_country="303 英国", declared_unit="122 罐",
                    legal_unit_1=35, hs_code=3304990099, unit_price=19.9, barcode=4006381333931)
    result = goods_import(actor=user_a, organization=org_a, file_bytes=workbook([row]), mode="all_or_nothing")
    assert result.errors == [] and result.created == 1
    version = GoodsItem.objects.get(organization=org_a, item_no="12345").versions.get()
    assert (version.currency_id, version.legal_unit_1_id, str(version.unit_price)) == ("142", "035", "19.90000")


def test_export_round_trip(org_a, org_b, user_a, user_b):
    for n in range(3):
        goods_create(actor=user_a, organization=org_a, data=good_data(
            item_no=f"EXP-{n}", name=f"商品{n}", unit_price=f"{n + 1}.12345", brand=f"品牌{n}"))
    exported = goods_export(GoodsItem.objects.filter(organization=org_a))
    sheet = load_workbook(io.BytesIO(exported)).active
    assert sheet.max_row == 4
    result = goods_import(actor=user_b, organization=org_b, file_bytes=exported, mode="all_or_nothing")
    assert result.errors == [] and result.created == 3
    fields = ("name", "brand", "hs_code_id", "unit_price", "modes", "barcode", "declared_unit_id", "direction")

    def snapshot(org):
        return [tuple(getattr(v, f) for f in fields) for v in
                (i.versions.get() for i in GoodsItem.objects.filter(organization=org).order_by("item_no"))]

    assert snapshot(org_a) == snapshot(org_b)


def test_not_a_workbook(org_a, user_a):
    from filings.goods_excel import ImportFileError
    with pytest.raises(ImportFileError):
        goods_import(actor=user_a, organization=org_a, file_bytes=b"not excel", mode="good_rows")
