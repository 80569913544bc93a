"""The monthly summary (清单核放、汇总申报): which released lists it takes, how it groups them into
summary declarations and lines by the configured keys, the gseqno mapping of every list line, and
that a second run creates nothing twice."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from django.core.exceptions import ImproperlyConfigured

from filings.summary import services
from filings.summary.models import Summary, SummaryItem, SummaryLine, SummaryRun
from tests.filings.summary.conftest import OCTOBER, ZONE, export_list
from zone_portal.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

MONTH = date(2026, 10, 1)
OTHER_OWNER = "91330100MA2B000002"


def run_october():
    return services.summary_month_run(month=MONTH)


def test_two_lists_alike_make_one_summary_with_their_lines_added_up(cast):
    first = export_list(cast, "0001", ieDate="20261015")
    second = export_list(cast, "0002", ieDate="20261016")
    run = run_october()
    summary = Summary.objects.get()
    assert (run.list_count, run.summary_count, summary.list_count, summary.item_count) == (2, 1, 2, 4)
    assert summary.organization_id == cast.ebc.org.pk and cast.ebc.org.pk in summary.parties
    assert summary.key_values == {"ebcCode": cast.ebc.code, "trafMode": "5", "ownerCode": "91330100MA2B000001",
                                  "country": "502", "portCode": "2900"}
    assert summary.gross_weight == 2 and summary.net_weight == 2
    assert len(summary.sum_no) == 18 and summary.sum_no.startswith("29002026H")
    line = SummaryLine.objects.get()  # 4 sample lines, same country/gcode/currency
    assert (line.gseqno, line.gcode, line.country, line.currency) == (1, "3304990000", "502", "502")
    assert (line.qty, line.total_price, line.item_count) == (8, 80, 4)
    mapped = sorted(SummaryItem.objects.values_list("declaration_id", "gnum", "gseqno"))
    assert mapped == [(first.pk, 1, 1), (first.pk, 2, 1), (second.pk, 1, 1), (second.pk, 2, 1)]


@pytest.mark.parametrize(("key", "value"), [
    ("trafMode", "2"), ("ownerCode", OTHER_OWNER), ("country", "303"), ("portCode", "3100"),
])
def test_each_head_key_separates_two_lists_that_differ_only_in_it(cast, key, value):
    export_list(cast, "0001")
    export_list(cast, "0002", **{key: value})
    run_october()
    summaries = list(Summary.objects.order_by("id"))
    assert len(summaries) == 2
    assert sorted(s.key_values[key] for s in summaries) == sorted([export_value(key), value])
    assert [s.list_count for s in summaries] == [1, 1]


def export_value(key: str) -> str:
    return {"trafMode": "5", "ownerCode": "91330100MA2B000001", "country": "502", "portCode": "2900"}[key]


def test_the_consignor_separates_two_lists_that_differ_only_in_it(cast, other_ebc):
    export_list(cast, "0001")
    export_list(cast, "0002", declarant=other_ebc, ebcCode=other_ebc.code, agentCode=other_ebc.code,
                iacCode=other_ebc.code)
    run_october()
    by_org = {s.organization_id: s for s in Summary.objects.all()}
    assert set(by_org) == {cast.ebc.org.pk, other_ebc.org.pk}
    assert by_org[other_ebc.org.pk].ebc_code == other_ebc.code
    assert cast.ebc.org.pk not in by_org[other_ebc.org.pk].parties


@pytest.mark.parametrize(("key", "value"), [("country", "303"), ("gcode", "3304100000"), ("currency", "300")])
def test_each_line_key_separates_two_list_lines_that_differ_only_in_it(cast, key, value):
    export_list(cast, "0001", lines=[{}])
    export_list(cast, "0002", lines=[{key: value}])
    run_october()
    summary = Summary.objects.get()
    lines = list(summary.lines.order_by("gseqno"))
    assert [line.gseqno for line in lines] == [1, 2]
    assert sorted(line.key_values[key] for line in lines) == sorted([{"country": "502", "gcode": "3304990000",
                                                                       "currency": "502"}[key], value])
    assert summary.line_count == 2


def test_gseqno_maps_every_list_line_to_the_line_it_went_into(cast):
    mixed = export_list(cast, "0001", lines=[{"gcode": "3304100000", "qty": "3", "price": "5", "totalPrice": "15"},
                                             {"gcode": "3304990000"}])
    single = export_list(cast, "0002", lines=[{"gcode": "3304100000", "qty": "1", "price": "5", "totalPrice": "5"}])
    run_october()
    summary = Summary.objects.get()
    lines = {line.gcode: line for line in summary.lines.all()}
    assert lines["3304100000"].qty == 4 and lines["3304100000"].total_price == 20
    assert lines["3304100000"].item_count == 2 and lines["3304990000"].item_count == 1
    items = {(i.declaration_id, i.gnum): i for i in SummaryItem.objects.all()}
    assert items[(mixed.pk, 1)].gseqno == items[(single.pk, 1)].gseqno == lines["3304100000"].gseqno
    assert items[(mixed.pk, 2)].gseqno == lines["3304990000"].gseqno
    # the CEB792 SummaryResultList row: invtNo, logisticsNo, gseqno, gnum, gcode
    row = items[(mixed.pk, 2)]
    assert (row.invt_no, row.logistics_no, row.gnum, row.gcode) == ("INV-0001", "LOG-0001", 2, "3304990000")


def test_summary_flag_1_groups_by_consignor_only(cast, settings):
    export_list(cast, "0001")
    export_list(cast, "0002", ownerCode=OTHER_OWNER)
    settings.SUMMARY_DEFAULT_SUMMARY_FLAG = "1"
    run = run_october()
    summary = Summary.objects.get()
    assert summary.list_count == 2 and "ownerCode" not in summary.key_values
    assert summary.owner_code == ""  # not a key: no single owner to show
    assert run.summary_flag == "1" and "ownerCode" not in run.head_keys


def test_summary_flag_2_groups_by_consignor_and_owner(cast, settings):
    export_list(cast, "0001")
    export_list(cast, "0002", ownerCode=OTHER_OWNER)
    settings.SUMMARY_DEFAULT_SUMMARY_FLAG = "2"
    run_october()
    assert sorted(Summary.objects.values_list("owner_code", flat=True)) == ["91330100MA2B000001", OTHER_OWNER]


def test_item_name_flag_1_also_groups_lines_by_the_original_item_name(cast, settings):
    export_list(cast, "0001", lines=[{"itemName": "玫瑰面霜"}])
    export_list(cast, "0002", lines=[{"itemName": "茉莉面霜"}])
    export_list(cast, "0003", lines=[{"itemName": "玫瑰面霜"}])
    settings.SUMMARY_DEFAULT_ITEM_NAME_FLAG = "1"
    run_october()
    lines = {line.item_name: line for line in SummaryLine.objects.all()}
    assert set(lines) == {"玫瑰面霜", "茉莉面霜"}
    assert lines["玫瑰面霜"].item_count == 2 and lines["玫瑰面霜"].gname == "玫瑰面霜"


def test_without_item_name_flag_item_names_do_not_separate_lines(cast):
    export_list(cast, "0001", lines=[{"itemName": "玫瑰面霜"}])
    export_list(cast, "0002", lines=[{"itemName": "茉莉面霜"}])
    run_october()
    line = SummaryLine.objects.get()
    assert line.item_count == 2 and line.item_name == ""


def test_running_twice_creates_nothing_twice_and_a_late_list_gets_its_own_summary(cast):
    export_list(cast, "0001")
    export_list(cast, "0002")
    first = run_october()
    assert first is not None
    counts = (SummaryRun.objects.count(), Summary.objects.count(), SummaryLine.objects.count(),
              SummaryItem.objects.count(), AuditEvent.objects.filter(action="summary.summaryrun.create").count())
    assert run_october() is None
    assert (SummaryRun.objects.count(), Summary.objects.count(), SummaryLine.objects.count(),
            SummaryItem.objects.count(),
            AuditEvent.objects.filter(action="summary.summaryrun.create").count()) == counts
    late = export_list(cast, "0003", released_at=datetime(2026, 10, 31, 23, 59, tzinfo=ZONE))
    third = run_october()
    assert third.list_count == 1 and third.summary_count == 1
    assert SummaryItem.objects.filter(declaration=late, summary__run=third).count() == 2


def test_statistics_flag_a_lists_are_not_summarised(cast):
    export_list(cast, "0001")
    simplified = export_list(cast, "0002", statisticsFlag="A", lines=[{"gcode": "3304000000"}])
    run_october()
    assert not SummaryItem.objects.filter(declaration=simplified).exists()
    assert Summary.objects.get().list_count == 1


def test_only_lists_released_or_closed_in_the_month_are_taken(cast):
    released = export_list(cast, "0001")
    closed = export_list(cast, "0002", state="closed")
    export_list(cast, "0003", released_at=datetime(2026, 9, 30, 23, 59, tzinfo=ZONE))  # September
    export_list(cast, "0004", released_at=datetime(2026, 11, 1, 0, 0, tzinfo=ZONE))  # November
    export_list(cast, "0005", state="returned")
    export_list(cast, "0006", state="held")
    export_list(cast, "0007", released_at=None)  # still declared
    run_october()
    taken = set(SummaryItem.objects.values_list("declaration_id", flat=True))
    assert taken == {released.pk, closed.pk}


def test_a_list_declared_by_a_broker_is_the_consignor_s_and_the_broker_sees_it(cast):
    export_list(cast, "0001", declarant=cast.broker, agentCode=cast.broker.code)
    run_october()
    summary = Summary.objects.get()
    assert summary.organization_id == cast.ebc.org.pk
    assert set(summary.parties) == {cast.ebc.org.pk, cast.broker.org.pk}


def test_the_keys_are_a_dated_setting(cast, settings):
    export_list(cast, "0001")
    export_list(cast, "0002", portCode="3100")
    settings.SUMMARY_GROUPING = [
        ("2019-01-01", {"head": ["ebcCode", "trafMode", "ownerCode", "country"], "lines": ["gcode", "currency"]}),
        ("2026-11-01", {"head": ["ebcCode", "portCode"], "lines": ["gcode"]}),  # not yet in force in October
    ]
    run = run_october()
    assert run.head_keys == ["ebcCode", "trafMode", "ownerCode", "country"]
    assert run.line_keys == ["gcode", "currency"]
    assert Summary.objects.get().list_count == 2  # the port is not a key in October


def test_a_key_that_is_not_a_list_field_is_refused(cast, settings):
    export_list(cast, "0001")
    settings.SUMMARY_GROUPING = [("2019-01-01", {"head": ["ebcCode", "buyerIdNumber"], "lines": ["gcode"]})]
    with pytest.raises(ImproperlyConfigured):
        run_october()
    assert not Summary.objects.exists()


def test_the_run_is_audited_with_its_keys(cast):
    export_list(cast, "0001")
    run = run_october()
    event = AuditEvent.objects.get(action="summary.summaryrun.create")
    assert event.target_id == str(run.pk) and event.actor_label == "system"
    assert event.extra["lists"] == 1 and event.extra["head_keys"][0] == "ebcCode"


def test_the_default_month_is_the_previous_one(cast, monkeypatch):
    export_list(cast, "0001", released_at=OCTOBER)
    from django.utils import timezone

    monkeypatch.setattr(timezone, "now", lambda: datetime(2026, 11, 1, 2, 0, tzinfo=ZONE))
    run = services.summary_month_run()
    assert run.month == MONTH and run.list_count == 1
