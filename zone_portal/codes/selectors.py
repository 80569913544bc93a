"""Reading the reference code tables: rates in force on a date, look-ups other apps validate with."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

from .models import (
    Country,
    Currency,
    CustomsDistrict,
    Division,
    Hs6,
    HsCode,
    HsRate,
    TradeMode,
    TransportMode,
    Unit,
    WrapType,
)

# The natural-key field of each customs code table, for ``code_is_valid``.
CODE_FIELDS: dict[str, tuple[type[models.Model], str]] = {
    "trade_mode": (TradeMode, "code"),
    "country": (Country, "customs_code"),
    "currency": (Currency, "customs_code"),
    "unit": (Unit, "code"),
    "transport_mode": (TransportMode, "code"),
    "wrap_type": (WrapType, "code"),
    "customs_district": (CustomsDistrict, "code"),
    "hs_code": (HsCode, "hs_code"),
}

RATE_VALUE_FIELDS = ("vat_rate", "consumption_tax_rate", "consumption_tax_specific",
                     "consumption_tax_specific_unit_id", "export_refund_rate", "effective_from")


def code_is_valid(kind: str, code: str, *, active_only: bool = True) -> bool:
    """Whether ``code`` is in the ``kind`` table (e.g. ``code_is_valid("country", "303")``).

    Withdrawn codes count only with ``active_only=False`` (re-reading an old document).
    """
    model, field = CODE_FIELDS[kind]
    qs = model.objects.filter(**{field: code})
    if active_only:
        qs = qs.filter(is_active=True)
    return qs.exists()


def hs6_exists(hs6: str) -> bool:
    """Whether ``hs6`` is an HS 2022 subheading (the first six digits of a 10-digit code)."""
    return Hs6.objects.filter(hs6=hs6).exists()


def hs_code_get(hs_code: str) -> HsCode | None:
    """The 10-digit code with its units, or ``None``."""
    return HsCode.objects.select_related("hs6", "legal_unit_1", "legal_unit_2").filter(hs_code=hs_code).first()


def hs_rate_in_force(rates: list[HsRate], on: dt.date) -> HsRate | None:
    """The rate among ``rates`` (one code's rows) in force on ``on``.

    The latest row starting on or before the date wins; if that row was ended before the date
    (``effective_to``), no rate is in force — an older row does not come back to life.
    """
    started = [r for r in rates if r.effective_from <= on]
    if not started:
        return None
    latest = max(started, key=lambda r: r.effective_from)
    if latest.effective_to is not None and latest.effective_to < on:
        return None
    return latest


def hs_rates_on(hs_code: str, on: dt.date | None = None) -> HsRate | None:
    """The VAT, consumption tax and export refund rates of ``hs_code`` in force on ``on`` (default today)."""
    on = on or timezone.localdate()
    latest = (HsRate.objects.filter(hs_code_id=hs_code, effective_from__lte=on)
              .select_related("consumption_tax_specific_unit").order_by("-effective_from").first())
    return hs_rate_in_force([latest], on) if latest else None


def hs_code_list(*, on: dt.date | None = None) -> models.QuerySet[HsCode]:
    """All 10-digit codes with their units and, as ``rate_<field>`` annotations, the rates in force
    on ``on`` (default today) — one query whatever the page size; ``rate_effective_from`` is
    ``None`` when no rate is in force."""
    on = on or timezone.localdate()
    latest_id = Subquery(
        HsRate.objects.filter(hs_code=OuterRef("hs_code"), effective_from__lte=on)
        .order_by("-effective_from").values("id")[:1]
    )
    in_force = HsRate.objects.filter(id=OuterRef("rate_id")).filter(
        Q(effective_to__isnull=True) | Q(effective_to__gte=on)
    ).order_by()
    annotations = {f"rate_{name}": Subquery(in_force.values(name)[:1]) for name in RATE_VALUE_FIELDS}
    return (HsCode.objects.select_related("legal_unit_1", "legal_unit_2")
            .annotate(rate_id=latest_id).annotate(**annotations))


def division_get_current(code: str) -> Division | None:
    """The division now in force under ``code`` (for ``consigneeDistrict``), or ``None``."""
    return Division.objects.filter(code=code, is_current=True).first()


def division_provinces() -> models.QuerySet[Division]:
    """The 34 provincial-level divisions in force."""
    return Division.objects.filter(level=Division.Level.PROVINCE, is_current=True).order_by("code")
