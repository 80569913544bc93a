"""The arithmetic of retail-import tax and quota (customs.md §4.1): examples worked by hand, and
hypothesis properties over values, rates and factors."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from filings.clearance.tax import (
    FEN,
    Limits,
    QuotaVerdict,
    Rates,
    apportion,
    combined_rate,
    quota_verdict,
    retail_line_tax,
    statutory,
)

D = Decimal
LIMITS_2019 = Limits(single=D(5000), annual=D(26000), single_item_full_tax=True)
LIMITS_2016 = Limits(single=D(2000), annual=D(20000), single_item_full_tax=False)

values = st.decimals(min_value=D(0), max_value=D(5000), places=5, allow_nan=False, allow_infinity=False)
vat_rates = st.sampled_from([D(0), D("0.06"), D("0.09"), D("0.13"), D("0.17")])
ct_rates = st.sampled_from([D(0), D("0.03"), D("0.05"), D("0.10"), D("0.15"), D("0.20"), D("0.30"), D("0.56")])
factors = st.sampled_from([D("0.7"), D("1"), D("0.5"), D(0)])


def test_a_non_excise_good_at_13_percent_vat_pays_9_1_percent():
    tax = retail_line_tax(D(100), Rates(vat=D("0.13")), D("0.7"))
    assert (tax.customs, tax.vat, tax.consumption) == (D(0), D("9.10"), D(0))
    assert combined_rate(Rates(vat=D("0.13")), D("0.7")) == D("0.091")


def test_the_consumption_tax_inclusive_base_worked_by_hand():
    # lipstick: 84 CNY duty-paid, VAT 13 %, consumption tax 15 %, 70 %
    # CT = 84 / 0.85 × 0.15 = 14.82353 → × 0.7 = 10.37647 → 10.38
    # VAT = (84 + 14.82353) × 0.13 = 12.84706 → × 0.7 = 8.99294 → 8.99
    tax = retail_line_tax(D(84), Rates(vat=D("0.13"), consumption=D("0.15")), D("0.7"))
    assert (tax.consumption, tax.vat) == (D("10.38"), D("8.99"))


def test_a_specific_consumption_tax_enters_the_base():
    # whisky 300 CNY, 0.7 L: specific 0.7 × 0.912 = 0.6384; CT = (300 + 0.6384) / 0.8 × 0.2 + 0.6384 = 75.7980
    # VAT = (300 + 75.798) × 0.13 = 48.85374; × 0.7 → CT 53.06, VAT 34.20
    ct, vat = statutory(D(300), Rates(vat=D("0.13"), consumption=D("0.20"), specific=D("0.912")),
                        specific_qty=D("0.7"))
    assert ct == D("75.798") and vat == D("48.85374")
    tax = retail_line_tax(D(300), Rates(vat=D("0.13"), consumption=D("0.20"), specific=D("0.912")), D("0.7"),
                          specific_qty=D("0.7"))
    assert (tax.consumption, tax.vat) == (D("53.06"), D("34.20"))


def test_half_a_fen_rounds_up():
    # 0.05 × 0.13 × 0.7 = 0.00455 → 0.00; 0.55 × 0.091 = 0.05005 → 0.05; 5 × 0.091 = 0.455 → 0.46
    assert retail_line_tax(D(5), Rates(vat=D("0.13")), D("0.7")).vat == D("0.46")


@given(value=values, vat=vat_rates, ct=ct_rates, factor=factors)
def test_vat_and_consumption_tax_together_are_the_combined_rate_within_a_fen(value, vat, ct, factor):
    rates = Rates(vat=vat, consumption=ct)
    tax = retail_line_tax(value, rates, factor)
    exact = value * combined_rate(rates, factor)
    assert tax.customs == 0
    assert abs(tax.vat + tax.consumption - exact) <= FEN  # two roundings of at most half a fen each
    assert tax.vat >= 0 and tax.consumption >= 0
    assert tax.vat == tax.vat.quantize(FEN) and tax.consumption == tax.consumption.quantize(FEN)


@given(value=values, vat=vat_rates, ct=ct_rates)
def test_each_tax_is_the_statutory_amount_times_the_factor_rounded_half_up(value, vat, ct):
    rates = Rates(vat=vat, consumption=ct)
    full_ct, full_vat = statutory(value, rates)
    tax = retail_line_tax(value, rates, D("0.7"))
    assert abs(tax.consumption - full_ct * D("0.7")) <= FEN / 2
    assert abs(tax.vat - full_vat * D("0.7")) <= FEN / 2
    assert tax.total <= retail_line_tax(value, rates, D(1)).total  # 70 % never costs more than in full


@given(a=values, b=values, vat=vat_rates, ct=ct_rates)
def test_tax_never_falls_when_the_value_rises(a, b, vat, ct):
    low, high = sorted((a, b))
    rates = Rates(vat=vat, consumption=ct)
    assert retail_line_tax(low, rates, D("0.7")).vat <= retail_line_tax(high, rates, D("0.7")).vat
    assert retail_line_tax(low, rates, D("0.7")).consumption <= retail_line_tax(high, rates, D("0.7")).consumption


@given(totals=st.lists(values, min_size=1, max_size=20), extra=st.decimals(min_value=D(0), max_value=D(500),
                                                                         places=2, allow_nan=False))
def test_freight_and_insurance_are_shared_out_to_the_last_fraction(totals, extra):
    prices = apportion(totals, extra)
    assert sum(prices) == sum(totals) + extra  # exactly: the lines add up to the list
    assert all(p >= t for p, t in zip(prices[:-1], totals[:-1], strict=True))
    base = sum(totals)
    if base:
        for price, total in zip(prices[:-1], totals[:-1], strict=True):
            assert abs((price - total) - extra * total / base) <= D("0.000005")


# --- quota ----------------------------------------------------------------------------------------

def test_the_limits_are_inclusive():
    assert quota_verdict(used=D(0), value=D(5000), limits=LIMITS_2019, single_item=False) == QuotaVerdict.WITHIN
    assert quota_verdict(used=D(21000), value=D(5000), limits=LIMITS_2019, single_item=False) == QuotaVerdict.WITHIN
    assert quota_verdict(used=D(0), value=D("5000.00001"), limits=LIMITS_2019,
                         single_item=False) == QuotaVerdict.OVER_SINGLE
    assert quota_verdict(used=D("21000.00001"), value=D(5000), limits=LIMITS_2019,
                         single_item=False) == QuotaVerdict.OVER_ANNUAL


def test_one_indivisible_item_over_the_single_limit_under_49_but_not_under_18():
    assert quota_verdict(used=D(0), value=D(6000), limits=LIMITS_2019, single_item=True) == QuotaVerdict.FULL_TAX
    assert quota_verdict(used=D(21000), value=D(6000), limits=LIMITS_2019,
                         single_item=True) == QuotaVerdict.OVER_ANNUAL
    assert quota_verdict(used=D(0), value=D(26001), limits=LIMITS_2019, single_item=True) == QuotaVerdict.OVER_SINGLE
    assert quota_verdict(used=D(0), value=D(2500), limits=LIMITS_2016, single_item=True) == QuotaVerdict.OVER_SINGLE


@settings(max_examples=200)
@given(purchases=st.lists(st.decimals(min_value=D(0), max_value=D(7000), places=2, allow_nan=False), max_size=30),
       single_item=st.booleans())
def test_a_year_of_purchases_never_exceeds_the_annual_limit(purchases, single_item):
    """Replaying a buyer's year: every purchase accepted keeps the total within 26,000; every
    refusal is the limit it names; a purchase within both limits is never refused."""
    used = D(0)
    for value in purchases:
        verdict = quota_verdict(used=used, value=value, limits=LIMITS_2019, single_item=single_item)
        if verdict in (QuotaVerdict.WITHIN, QuotaVerdict.FULL_TAX):
            used += value
            assert used <= LIMITS_2019.annual
            assert verdict == QuotaVerdict.WITHIN or (single_item and value > LIMITS_2019.single)
        elif verdict == QuotaVerdict.OVER_ANNUAL:
            assert used + value > LIMITS_2019.annual
        else:
            assert value > LIMITS_2019.single
        if value <= LIMITS_2019.single and used + value <= LIMITS_2019.annual and verdict != QuotaVerdict.WITHIN:
            raise AssertionError("a purchase within both limits was refused")
