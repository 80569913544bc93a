"""Validation of imported files: per-row errors, nothing half-imported, upsert semantics."""

from decimal import Decimal

import pytest

from zone_portal.audit.models import AuditEvent
from zone_portal.codes.models import Country, HsCode, HsRate, Unit
from zone_portal.codes.services import codes_row_save, codes_table_import

HS_HEADER = ("hs_code,name_zh,legal_unit_1,legal_unit_2,vat_rate,consumption_tax_rate,export_refund_rate,"
             "positive_list,effective_from,source\n")


def errors_of(result):
    return [(e.row, e.column) for e in result.errors]


def test_valid_hs_rows_are_created_with_their_rate(codes):
    result = codes_table_import(table="hs_codes", content=(
        HS_HEADER + "3304990091,测试面膜,035,,13%,0.15,0.13,yes,2025-01-01,official tariff 2025\n"
    ).encode())
    assert result.ok, result.errors
    assert result.counts["hscode"].created == 1 and result.counts["hsrate"].created == 1
    code = HsCode.objects.get(hs_code="3304990091")
    assert code.hs6_id == "330499" and code.positive_list
    rate = code.rates.get()
    assert (rate.vat_rate, rate.consumption_tax_rate, rate.export_refund_rate) == (
        Decimal("0.13"), Decimal("0.15"), Decimal("0.13"))


def test_bad_rows_are_reported_per_row_and_nothing_is_written(codes):
    events = AuditEvent.objects.count()
    content = HS_HEADER + "\n".join([
        "3304990091,好的一行,035,,0.13,0,0.13,true,2025-01-01,ok",  # row 2: fine on its own
        "330499009,九位数,035,,0.13,0,0.13,true,2025-01-01,x",  # row 3: 9 digits
        "9999990000,不存在的子目,035,,0.13,0,0.13,true,2025-01-01,x",  # row 4: no such chapter
        "0101290000,不存在的六位,035,,0.13,0,0.13,false,2025-01-01,x",  # row 5: 010129 exists
        "0101300000,驴,999,,0.13,0,0.13,false,2025-01-01,x",  # row 6: unknown unit
        "0101900000,骡,035,,1.3,0,0.13,false,2025-01-01,x",  # row 7: rate out of range
        "0102290000,牛,035,,0.09,0,0.09,maybe,2025-13-01,x",  # row 8: bool and date
        "3304990091,重复,035,,0.13,0,0.13,true,2025-01-01,x",  # row 9: duplicate of row 2
    ]) + "\n"
    result = codes_table_import(table="hs_codes", content=content.encode())
    assert not result.ok
    assert errors_of(result) == [
        (3, "hs_code"), (4, "hs_code"), (6, "legal_unit_1"), (7, "vat_rate"), (8, "effective_from"),
        (8, "positive_list"), (9, "hs_code"),
    ]
    assert "3304990099" in result.errors[0].message  # the example of a valid code
    assert "99 is not an HS chapter" in result.errors[1].message
    assert "Unit 999 does not exist" in result.errors[2].message
    assert "Duplicate of row 2" in result.errors[-1].message
    assert not HsCode.objects.filter(hs_code="3304990091").exists()
    assert AuditEvent.objects.count() == events


def test_unknown_hs6_and_chapter_are_refused(codes):
    content = HS_HEADER + "9999990000,统计用,035,,0.13,0,0.13,false,2025-01-01,x\n" \
                          "0101990000,不存在的六位,035,,0.13,0,0.13,false,2025-01-01,x\n"
    result = codes_table_import(table="hs_codes", content=content)
    assert errors_of(result) == [(2, "hs_code"), (3, "hs_code")]
    assert "not an HS chapter" in result.errors[0].message
    assert "010199 are not an HS 2022 subheading" in result.errors[1].message


def test_missing_columns_are_named(codes):
    result = codes_table_import(table="countries", content="customs_code,name_zh\n303,英国\n")
    assert errors_of(result) == [(1, "name_en, iso_alpha2, iso_alpha3")]
    assert "the header must have: customs_code, name_zh, name_en" in result.errors[0].message
    assert not Country.objects.filter(customs_code="303", name_en="").exists()


def test_an_updated_row_is_counted_and_audited_with_the_actor(codes, zone_admin):
    content = "customs_code,name_zh,name_en,iso_alpha2,iso_alpha3\n303,英国,United Kingdom of GB and NI,GB,GBR\n" \
              "305,法国,France,FR,FRA\n"
    result = codes_table_import(table="countries", content=content, actor=zone_admin, source_name="c.csv")
    assert result.counts["country"].as_dict() == {"created": 0, "updated": 1, "unchanged": 1}
    assert Country.objects.get(customs_code="303").name_en == "United Kingdom of GB and NI"
    event = AuditEvent.objects.filter(action="codes.country.import").latest("id")
    assert event.actor_user == zone_admin
    assert event.extra["counts"]["country"]["updated"] == 1 and event.extra["file"] == "c.csv"


def test_withdrawn_codes_stay_withdrawn_when_the_file_has_no_is_active_column(codes):
    Country.objects.filter(customs_code="349").update(is_active=False)
    codes_table_import(table="countries",
                       content="customs_code,name_zh,name_en,iso_alpha2,iso_alpha3\n349,塞尔维亚和黑山,,,\n")
    assert Country.objects.get(customs_code="349").is_active is False
    codes_table_import(table="countries",
                       content="customs_code,name_zh,name_en,iso_alpha2,iso_alpha3,is_active\n"
                               "349,塞尔维亚和黑山,,,,true\n")
    assert Country.objects.get(customs_code="349").is_active is True


def test_a_gb18030_file_from_excel_is_read(codes):
    content = "code,name_zh\n165,面\n".encode("gb18030")
    result = codes_table_import(table="units", content=content)
    assert result.ok and Unit.objects.get(code="165").name_zh == "面"


def test_an_oversized_file_is_refused(codes, monkeypatch):
    monkeypatch.setattr("zone_portal.codes.services.MAX_IMPORT_BYTES", 10)
    result = codes_table_import(table="units", content=b"code,name_zh\n165,x\n")
    assert errors_of(result) == [(0, "")]
    assert not Unit.objects.filter(code="165").exists()


def test_customs_district_parent_must_exist(codes):
    result = codes_table_import(table="customs_districts", content=(
        "code,name_zh,level,parent_code,verified,sources,notes\n"
        "2901,杭州海关,field,2900,single-source,official,\n"
        "3101,宁波海关,field,3199,single-source,official,\n"))
    assert errors_of(result) == [(3, "parent_code")]


def test_hs_rates_import_carries_empty_cells_from_the_rate_in_force(codes):
    content = ("hs_code,export_refund_rate,effective_from,source\n"
               "8516310000,0.09,2026-01-01,refund table 2026\n")
    result = codes_table_import(table="hs_rates", content=content)
    assert result.ok, result.errors
    new = HsRate.objects.get(hs_code_id="8516310000", effective_from="2026-01-01")
    assert (new.vat_rate, new.consumption_tax_rate, new.export_refund_rate) == (
        Decimal("0.13"), Decimal("0"), Decimal("0.09"))


def test_hs_rates_import_without_an_earlier_rate_needs_every_rate(codes):
    content = "hs_code,export_refund_rate,effective_from,source\n8516310000,0.09,2019-01-01,old\n"
    result = codes_table_import(table="hs_rates", content=content)
    assert {e.column for e in result.errors} == {"vat_rate", "consumption_tax_rate", "consumption_tax_specific"}


def test_row_saved_in_the_back_office_is_audited(codes, zone_admin):
    unit = Unit.objects.get(code="164")
    unit.is_active = False
    codes_row_save(instance=unit, actor=zone_admin)
    event = AuditEvent.objects.filter(action="codes.unit.change").latest("id")
    assert event.changes == {"is_active": [True, False]}
    assert event.target_id == str(unit.pk)
    codes_row_save(instance=unit, actor=zone_admin)  # no change: no second event
    assert AuditEvent.objects.filter(action="codes.unit.change").count() == 1


@pytest.mark.parametrize("table", ["chapters", "hs6", "units", "countries", "currencies", "trade_modes",
                                   "transport_modes", "wrap_types", "customs_districts", "divisions"])
def test_reimporting_a_bundled_file_is_a_no_op(codes, table):
    from zone_portal.codes.services import DATA_DIR, TABLES

    result = codes_table_import(table=table, content=(DATA_DIR / TABLES[table].filename).read_bytes())
    assert result.ok and result.changed == 0
