"""The 无票免税 register: the six fields of every exported item (财税〔2018〕103号), written when
lists are released and by the monthly job, queried and exported by the tax office."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from io import BytesIO
from unittest import mock

import pytest
from openpyxl import load_workbook

from filings import signals
from filings.summary import services
from filings.summary.models import ExemptionRecord
from filings.summary.tasks import exemption_register_fill
from tests.filings.summary.conftest import ZONE, export_list

pytestmark = pytest.mark.django_db

REGISTER = "/admin/summary/exemptionrecord/"
EXPORT = "/admin/summary/exemptionrecord/export/"


def test_the_register_keeps_the_six_fields_of_each_exported_item(cast):
    listed = export_list(cast, "0001", ieDate="20261015", lines=[
        {"itemName": "玫瑰面霜", "gname": "面霜", "unit": "011", "qty": "3", "price": "12.5", "totalPrice": "37.5"},
        {"itemName": "", "gname": "口红", "unit": "011", "qty": "1", "price": "8", "totalPrice": "8"},
    ])
    assert exemption_register_fill([listed.pk]) == 2
    rows = {r.gnum: r for r in ExemptionRecord.objects.all()}
    first, second = rows[1], rows[2]
    assert (first.export_date, first.goods_name, first.unit, first.quantity, first.unit_price, first.amount) == (
        date(2026, 10, 15), "玫瑰面霜", "011", Decimal(3), Decimal("12.5"), Decimal("37.5"))
    assert first.currency == "502" and first.invt_no == "INV-0001" and first.gcode == "3304990000"
    assert second.goods_name == "口红"  # no item name: the goods name
    assert first.organization_id == cast.ebc.org.pk and first.ebc_code == cast.ebc.code
    assert first.statistics_flag == "B" and first.trade_mode == "9610"


def test_an_export_date_that_is_no_calendar_date_falls_back_to_the_day_of_release(cast):
    listed = export_list(cast, "0001", ieDate="20260231", released_at=datetime(2026, 10, 20, 1, 0, tzinfo=ZONE))
    exemption_register_fill([listed.pk])
    assert set(ExemptionRecord.objects.values_list("export_date", flat=True)) == {date(2026, 10, 20)}


def test_a_release_fills_the_register_once(cast):
    listed = export_list(cast, "0001")
    with mock.patch("filings.summary.tasks.exemption_register_fill.delay") as delay:
        signals.list_state_changed.send(sender=None, declaration_ids=[listed.pk], state="held")
        delay.assert_not_called()
        signals.list_state_changed.send(sender=None, declaration_ids=[listed.pk], state="released")
    delay.assert_called_once_with([listed.pk])
    assert exemption_register_fill([listed.pk]) == 2
    assert exemption_register_fill([listed.pk]) == 0  # a redelivered task writes nothing twice
    assert ExemptionRecord.objects.count() == 2


def test_lists_not_released_and_other_documents_are_not_registered(cast):
    declared = export_list(cast, "0001", released_at=None)
    assert exemption_register_fill([declared.pk, 999_999]) == 0
    assert not ExemptionRecord.objects.exists()


def test_the_monthly_job_registers_every_released_export_list_of_the_month(cast):
    export_list(cast, "0001", ieDate="20261010")
    export_list(cast, "0002", ieDate="20261011", statisticsFlag="A", lines=[{"gcode": "3304000000"}])
    export_list(cast, "0003", released_at=datetime(2026, 11, 2, tzinfo=ZONE))
    services.summary_month_run(month=date(2026, 10, 1))
    assert sorted(ExemptionRecord.objects.values_list("invt_no", "statistics_flag").distinct()) == [
        ("INV-0001", "B"), ("INV-0002", "A")]


def records_for_two_exporters(cast, other_ebc):
    export_list(cast, "0001", ieDate="20261010")
    export_list(cast, "0002", ieDate="20260915", released_at=datetime(2026, 9, 16, tzinfo=ZONE))
    export_list(cast, "0003", ieDate="20261012", declarant=other_ebc, ebcCode=other_ebc.code,
                agentCode=other_ebc.code, iacCode=other_ebc.code)
    services.summary_month_run(month=date(2026, 10, 1))
    services.summary_month_run(month=date(2026, 9, 1))


def test_the_tax_office_filters_the_register_by_exporter_and_month(client, cast, other_ebc, tax_officer):
    records_for_two_exporters(cast, other_ebc)
    client.force_login(tax_officer)
    page = client.get(REGISTER, {"month": "2026-10", "exporter": str(cast.ebc.org.pk)})
    assert page.status_code == 200
    shown = {r.invt_no for r in page.context["cl"].result_list}
    assert shown == {"INV-0001"}
    choices = dict(page.context["cl"].filter_specs[1].lookup_choices)
    assert set(choices) == {str(cast.ebc.org.pk), str(other_ebc.org.pk)}


def test_the_tax_office_exports_what_it_filtered_to_excel(client, cast, other_ebc, tax_officer):
    records_for_two_exporters(cast, other_ebc)
    client.force_login(tax_officer)
    response = client.get(EXPORT, {"month": "2026-10"})
    assert response.status_code == 200
    rows = list(load_workbook(BytesIO(response.content)).active.iter_rows(values_only=True))
    assert len(rows) == 1 + 4  # header + two October lists of two lines each
    # the six fields, labelled in the officer's language with the Chinese term in every one
    for label, term in zip(rows[0][:6], ("出口日期", "货物名称", "计量单位", "数量", "单价", "金额"), strict=True):
        assert term in label
    assert {row[9] for row in rows[1:]} == {"INV-0001", "INV-0003"}
    assert rows[1][2].startswith("011")  # the unit code with its name


@pytest.mark.parametrize("who", ["officer_without_perm", "ebc_user"])
def test_others_cannot_read_the_register(client, cast, request, who):
    export_list(cast, "0001")
    services.summary_month_run(month=date(2026, 10, 1))
    client.force_login(request.getfixturevalue(who))
    for url in (REGISTER, EXPORT):
        response = client.get(url)
        if who == "ebc_user":  # not staff: the back office sends them to its login
            assert response.status_code == 302 and "/admin/login/" in response["Location"]
        else:
            assert response.status_code == 403


def test_customs_reads_the_register_too(client, cast, officer_with_perm):
    export_list(cast, "0001")
    services.summary_month_run(month=date(2026, 10, 1))
    client.force_login(officer_with_perm)
    assert client.get(REGISTER).status_code == 200
