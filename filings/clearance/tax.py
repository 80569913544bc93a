"""The arithmetic of retail-import tax and quota (customs.md §4.1), as pure functions on Decimal.

Within the limits the tariff is 0 and import VAT and consumption tax are levied at the policy's
share (70 %) of the statutory amount, on the consumption-tax-inclusive base:

    consumption tax (statutory) = (value + tariff + specific) / (1 − ct rate) × ct rate + specific
    VAT (statutory)             = (value + tariff + consumption tax) × VAT rate
    levied                      = statutory × factor

so that with no specific tax the two together are value × (ct rate + VAT rate) / (1 − ct rate) ×
factor — 9.1 % for a non-excise good at 13 % VAT. ``specific`` is the quantity in the specific
tax's unit times its rate (spirits: CNY per litre).

Rounding: every intermediate value keeps full precision; each levied tax of each line is
rounded once, half up, to the fen (0.01 CNY) — customs compute and collect duties to the fen,
rounding below it half up (税款计算至分，分以下四舍五入) — and the bill's totals are the sums of
its lines, so head and lines always agree. The spec's N19,5 type carries those values exactly.
The duty-paid value of a line (完税价格 = its totalPrice plus its share of the list's freight and
insurance, shared in proportion to totalPrice) keeps N19,5's five decimals, the last line taking
the remainder, so the lines' values add up to the list's exactly.
"""

from __future__ import annotations

import decimal
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

FEN = Decimal("0.01")
N19_5 = Decimal("0.00001")
ZERO = Decimal(0)
_CONTEXT = decimal.Context(prec=50, rounding=ROUND_HALF_UP)


def to_fen(value: Decimal) -> Decimal:
    return value.quantize(FEN, rounding=ROUND_HALF_UP, context=_CONTEXT)


def to_n19_5(value: Decimal) -> Decimal:
    return value.quantize(N19_5, rounding=ROUND_HALF_UP, context=_CONTEXT)


def apportion(totals: list[Decimal], extra: Decimal) -> list[Decimal]:
    """Each line's duty-paid value: its total plus a share of ``extra`` (freight + insurance) in
    proportion to the totals, to five decimals; the last line takes the remainder, so the result
    adds up to ``sum(totals) + extra`` exactly. With all totals 0 the first line takes ``extra``."""
    if not totals:
        return []
    base = sum(totals, ZERO)
    shares = []
    for total in totals[:-1]:
        share = to_n19_5(_CONTEXT.divide(_CONTEXT.multiply(extra, total), base)) if base else ZERO
        shares.append(share)
    if not base:
        shares = [extra] + [ZERO] * (len(totals) - 1)
    else:
        shares.append(extra - sum(shares, ZERO))
    return [total + share for total, share in zip(totals, shares, strict=True)]


@dataclass(frozen=True)
class Rates:
    """The rates of one HS code on one day (``zone_portal.codes.HsRate``), as fractions."""

    vat: Decimal
    consumption: Decimal = ZERO
    specific: Decimal = ZERO  # CNY per unit of the specific tax


@dataclass(frozen=True)
class LineTax:
    customs: Decimal
    vat: Decimal
    consumption: Decimal

    @property
    def total(self) -> Decimal:
        return self.customs + self.vat + self.consumption


def statutory(value: Decimal, rates: Rates, *, specific_qty: Decimal = ZERO, tariff: Decimal = ZERO
              ) -> tuple[Decimal, Decimal]:
    """(consumption tax, VAT) at the full statutory amount, unrounded."""
    c = _CONTEXT
    specific = c.multiply(specific_qty, rates.specific)
    ct = ZERO
    if rates.consumption or specific:
        base = c.divide(c.add(c.add(value, tariff), specific), c.subtract(Decimal(1), rates.consumption))
        ct = c.add(c.multiply(base, rates.consumption), specific)
    vat = c.multiply(c.add(c.add(value, tariff), ct), rates.vat)
    return ct, vat


def retail_line_tax(value: Decimal, rates: Rates, factor: Decimal, *, specific_qty: Decimal = ZERO) -> LineTax:
    """The tax levied on one list line within the retail-import limits: tariff 0, VAT and
    consumption tax at ``factor`` of the statutory amount, each rounded to the fen."""
    ct, vat = statutory(value, rates, specific_qty=specific_qty)
    return LineTax(customs=ZERO, vat=to_fen(_CONTEXT.multiply(vat, factor)),
                   consumption=to_fen(_CONTEXT.multiply(ct, factor)))


def combined_rate(rates: Rates, factor: Decimal) -> Decimal:
    """(ct rate + VAT rate) / (1 − ct rate) × factor: the share of an ad-valorem line's value levied."""
    c = _CONTEXT
    return c.multiply(c.divide(c.add(rates.consumption, rates.vat), c.subtract(Decimal(1), rates.consumption)), factor)


# --- quota ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Limits:
    single: Decimal
    annual: Decimal
    single_item_full_tax: bool  # 财关税〔2018〕49号: one indivisible item over the single limit may pass


class QuotaVerdict:
    """What the limits say about one list: within them (retail tax), over the single limit (-621005),
    over the annual limit (-621018), or one indivisible item to be taxed in full (counted, held)."""

    WITHIN = "within"
    OVER_SINGLE = "over_single"
    OVER_ANNUAL = "over_annual"
    FULL_TAX = "full_tax"


def quota_verdict(*, used: Decimal, value: Decimal, limits: Limits, single_item: bool) -> str:
    """Judge one list of ``value`` for a buyer who has ``used`` this much of the year's quota.

    Over the single limit a list is refused — unless it is one indivisible item and the policy lets
    such an item through within the annual limit, taxed in full. Within the single limit it is
    refused if it would take the year's total above the annual limit. Limits are inclusive."""
    if value > limits.single:
        if not (limits.single_item_full_tax and single_item and value <= limits.annual):
            return QuotaVerdict.OVER_SINGLE
    if used + value > limits.annual:
        return QuotaVerdict.OVER_ANNUAL
    return QuotaVerdict.FULL_TAX if value > limits.single else QuotaVerdict.WITHIN
