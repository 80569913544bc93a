"""Loading the bundled tables: counts, idempotence, the known pitfalls, the HS sample's integrity."""

import csv
import io
import time
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from zone_portal.audit.models import AuditEvent
from zone_portal.codes.models import (
    Country,
    Currency,
    CustomsDistrict,
    Division,
    Hs6,
    HsChapter,
    HsCode,
    HsRate,
    TradeMode,
    TransportMode,
    Unit,
    WrapType,
)
from zone_portal.codes.services import DATA_DIR, codes_load


def test_every_table_loads_without_errors(codes):
    assert [r.table for r in codes if r.errors] == []
    assert [r.table for r in codes] == [
        "chapters", "hs6", "units", "countries", "currencies", "trade_modes", "transport_modes",
        "wrap_types", "customs_districts", "divisions", "hs_codes", "hs_rates",
    ]


def test_row_counts(codes):
    assert Country.objects.count() == 242
    assert Unit.objects.count() == 123
    assert Division.objects.count() == 7143
    assert Hs6.objects.count() == 5613
    assert HsChapter.objects.count() == 97
    assert Currency.objects.count() == 33
    assert TradeMode.objects.count() == 6
    assert TransportMode.objects.count() == 19
    assert WrapType.objects.count() == 7
    assert CustomsDistrict.objects.count() == 95
    assert HsCode.objects.count() >= 300
    chapters = {code[:2] for code in HsCode.objects.values_list("hs_code", flat=True)}
    assert len(chapters) >= 40
    # every HS code has a rate row; five codes also have an earlier (superseded) rate
    assert HsRate.objects.count() == HsCode.objects.count() + 5


def test_the_first_load_reports_every_row_created(codes):
    created = {r.table: {m: c.created for m, c in r.counts.items()} for r in codes}
    assert created["countries"] == {"country": 242}
    assert created["divisions"] == {"division": 7143}
    assert created["hs_codes"]["hscode"] == HsCode.objects.count()


def test_a_second_load_changes_nothing_and_records_nothing(codes):
    events_before = AuditEvent.objects.count()
    rows_before = {m: m.objects.count() for m in (Country, Division, Hs6, HsCode, HsRate, CustomsDistrict)}

    results = codes_load()

    assert all(r.ok for r in results)
    for result in results:
        for model, counts in result.counts.items():
            assert (counts.created, counts.updated) == (0, 0), (result.table, model)
            assert counts.unchanged > 0
    assert {m: m.objects.count() for m in rows_before} == rows_before
    assert AuditEvent.objects.count() == events_before


def test_the_first_load_was_audited_as_a_system_import(codes):
    event = AuditEvent.objects.get(action="codes.country.import")
    assert event.actor_label == "system"
    assert event.extra["counts"] == {"country": {"created": 242, "updated": 0, "unchanged": 0}}
    assert event.extra["file"] == "countries.csv"


def test_a_second_load_takes_a_few_seconds_at_most(codes):
    started = time.monotonic()
    codes_load()
    assert time.monotonic() - started < 10


def test_pitfall_303_is_the_united_kingdom_and_the_pound(codes):
    uk = Country.objects.get(customs_code="303")
    assert (uk.name_zh, uk.iso_alpha2, uk.iso_alpha3) == ("英国", "GB", "GBR")
    assert Country.objects.get(customs_code="305").name_zh == "法国"
    assert Country.objects.get(customs_code="502").name_zh == "美国"
    pound = Currency.objects.get(customs_code="303")
    assert (pound.name_zh, pound.iso_code) == ("英镑", "GBP")
    assert Currency.objects.get(customs_code="142").iso_code == "CNY"


def test_pitfall_units_122_is_a_can_and_140_a_box(codes):
    assert Unit.objects.get(code="122").name_zh == "罐"
    assert Unit.objects.get(code="140").name_zh == "盒"
    assert Unit.objects.get(code="035").name_zh == "千克"


def test_unverified_rows_stay_flagged(codes):
    assert "UNVERIFIED" in Unit.objects.get(code="164").notes
    assert "UNVERIFIED" in Currency.objects.get(customs_code="332").notes
    assert "UNVERIFIED" in TransportMode.objects.get(code="G").notes
    assert CustomsDistrict.objects.get(code="0100").verified is True
    assert CustomsDistrict.objects.get(code="0102").verified is False
    assert CustomsDistrict.objects.get(code="0101").parent_id == "0100"


def test_divisions_keep_their_history(codes):
    qianshan = Division.objects.filter(code="210311").order_by("valid_from", "valid_to")
    assert [(d.name_zh, d.valid_from, d.valid_to, d.is_current) for d in qianshan] == [
        ("郊区", 1983, 1982, False), ("旧堡区", 1983, 1995, False), ("千山区", 1996, None, True),
    ]
    assert Division.objects.filter(level="province", is_current=True).count() == 34
    hangzhou = Division.objects.get(code="330100", is_current=True)
    assert hangzhou.name_zh == "杭州市" and hangzhou.parent_code == "330000"
    assert Division.objects.get(code="330114").name_zh == "钱塘区"


def test_chapters_have_chinese_names(codes):
    assert HsChapter.objects.exclude(name_zh="").count() == 97
    assert HsChapter.objects.get(chapter="33").name_zh == "精油及香膏；芳香料制品及化妆盥洗品"


def test_every_hs_code_starts_with_a_known_hs6_and_uses_known_units(codes):
    hs6 = set(Hs6.objects.values_list("hs6", flat=True))
    units = set(Unit.objects.values_list("code", flat=True))
    for code in HsCode.objects.all():
        assert code.hs_code[:6] in hs6, code.hs_code
        assert code.hs6_id == code.hs_code[:6]
        assert code.legal_unit_1_id in units
        assert code.legal_unit_2_id is None or code.legal_unit_2_id in units


def test_the_bundled_hs_file_itself_is_consistent():
    """Checked on the file, so a bad edit of the CSV fails here even before a load."""
    hs6 = {r["hs6"] for r in csv.DictReader(open(DATA_DIR / "hs6_2022.csv", encoding="utf-8"))}
    units = {r["code"] for r in csv.DictReader(open(DATA_DIR / "units.csv", encoding="utf-8"))}
    rows = list(csv.DictReader(open(DATA_DIR / "hs_codes.csv", encoding="utf-8")))
    assert len(rows) >= 300
    assert len({r["hs_code"] for r in rows}) == len(rows)
    for r in rows:
        assert len(r["hs_code"]) == 10 and r["hs_code"].isdigit(), r["hs_code"]
        assert r["hs_code"][:6] in hs6, r["hs_code"]
        assert r["legal_unit_1"] in units and r["legal_unit_2"] in units | {""}, r["hs_code"]
        assert "curated sample" in r["source"], r["hs_code"]


def test_sample_goods_have_realistic_units_and_rates(codes):
    wine = HsCode.objects.get(hs_code="2204210000")
    assert (wine.legal_unit_1.name_zh, wine.legal_unit_2.name_zh) == ("升", "千克")
    formula = HsCode.objects.get(hs_code="1901101000")
    assert formula.legal_unit_1.name_zh == "千克" and formula.positive_list
    shoes = HsCode.objects.get(hs_code="6404110000")
    assert shoes.legal_unit_1.name_zh == "双"
    rates = {r.hs_code_id: r for r in HsRate.objects.filter(hs_code__in=["2204210000", "0409000000", "3304990099"])}
    assert (rates["2204210000"].vat_rate, rates["2204210000"].consumption_tax_rate) == (
        Decimal("0.13"), Decimal("0.10"))
    assert rates["0409000000"].vat_rate == Decimal("0.09")  # honey: agricultural product
    assert rates["3304990099"].consumption_tax_rate == Decimal("0.15")  # 高档化妆品


def test_command_prints_counts_per_table(codes):
    out = io.StringIO()
    call_command("load_codes", "--only", "countries", "--only", "units", stdout=out)
    text = out.getvalue()
    assert "countries" in text and "242 unchanged" in text
    assert "units" in text and "123 unchanged" in text
    assert "divisions" not in text


def test_command_reports_row_errors_and_fails(codes, tmp_path):
    (tmp_path / "countries.csv").write_text(
        "customs_code,name_zh,name_en,iso_alpha2,iso_alpha3,notes\n"
        "303,英国,United Kingdom,GB,GBR,\n"
        "30A,坏国家,Bad,XX,XXX,\n",
        encoding="utf-8",
    )
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("load_codes", "--path", str(tmp_path), stdout=io.StringIO(), stderr=err)
    assert "row 3, column customs_code" in err.getvalue()
    assert Country.objects.filter(name_zh="坏国家").count() == 0


def test_command_path_imports_an_official_file_over_the_sample(codes, tmp_path):
    (tmp_path / "units.csv").write_text("code,name_zh\n035,千克\n165,面\n", encoding="utf-8")
    out = io.StringIO()
    call_command("load_codes", "--path", str(tmp_path), stdout=out)
    assert "1 created" in out.getvalue() and "1 unchanged" in out.getvalue()
    assert Unit.objects.get(code="165").name_zh == "面"
    assert Unit.objects.count() == 124
    # the absent notes/sources columns leave the stored provenance alone
    assert Unit.objects.get(code="035").sources == "A+H+T"
