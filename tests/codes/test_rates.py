"""Dated rates: a later rate does not change what was in force earlier."""

import datetime as dt
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from zone_portal.codes.models import HsRate
from zone_portal.codes.selectors import hs_rate_in_force, hs_rates_on
from zone_portal.codes.services import codes_table_import


def test_the_2024_refund_cut_applies_from_its_date_only(codes):
    battery = "8507600090"
    assert hs_rates_on(battery, dt.date(2024, 11, 30)).export_refund_rate == Decimal("0.13")
    assert hs_rates_on(battery, dt.date(2024, 12, 1)).export_refund_rate == Decimal("0.09")
    assert hs_rates_on(battery, dt.date(2020, 3, 19)) is None  # the sample has no older rate


def test_e_cigarettes_enter_the_consumption_tax_on_2022_11_01(codes):
    assert hs_rates_on("8543400000", dt.date(2022, 10, 31)).consumption_tax_rate == Decimal("0")
    assert hs_rates_on("8543400000", dt.date(2022, 11, 1)).consumption_tax_rate == Decimal("0.36")


def test_a_future_rate_change_leaves_earlier_dates_alone(codes):
    before = hs_rates_on("2204210000", dt.date(2026, 6, 1))
    result = codes_table_import(table="hs_rates", content=(
        "hs_code,vat_rate,consumption_tax_rate,export_refund_rate,effective_from,source\n"
        "2204210000,0.13,0.12,0.13,2027-01-01,test\n"))
    assert result.ok, result.errors
    assert hs_rates_on("2204210000", dt.date(2026, 6, 1)) == before
    assert hs_rates_on("2204210000", dt.date(2026, 12, 31)).consumption_tax_rate == Decimal("0.10")
    assert hs_rates_on("2204210000", dt.date(2027, 1, 1)).consumption_tax_rate == Decimal("0.12")


def test_an_ended_rate_is_not_replaced_by_an_older_one(codes):
    HsRate.objects.filter(hs_code_id="8507600090", effective_from="2024-12-01").update(
        effective_to=dt.date(2025, 6, 30))
    assert hs_rates_on("8507600090", dt.date(2025, 6, 30)).export_refund_rate == Decimal("0.09")
    assert hs_rates_on("8507600090", dt.date(2025, 7, 1)) is None


dates = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2040, 12, 31))


@given(starts=st.lists(dates, min_size=1, max_size=6, unique=True), on=dates)
def test_the_rate_in_force_is_the_latest_started_one(starts, on):
    rates = [HsRate(effective_from=d, vat_rate=Decimal(i) / 100, export_refund_rate=0) for i, d in enumerate(starts)]
    found = hs_rate_in_force(rates, on)
    started = [d for d in starts if d <= on]
    if not started:
        assert found is None
    else:
        assert found.effective_from == max(started)
        # adding a rate that starts after `on` never changes the answer
        later = HsRate(effective_from=on + dt.timedelta(days=1), vat_rate=Decimal("0.5"), export_refund_rate=0)
        assert hs_rate_in_force([*rates, later], on) is found
