"""The buyers' annual retail-import quota (个人年度交易额度): charging a list against it and giving
it back, both under the lock of the buyer-year ledger row.

Every decision about a buyer's quota first locks that buyer's ``QuotaLedger`` row for the year
(``SELECT … FOR UPDATE``; the row is created on first use with ``INSERT … ON CONFLICT DO
NOTHING``), rows always locked in (blind index, year) order so that two batches never wait on
each other in a circle. Two lists of the same buyer decided at the same moment are therefore
judged one after the other, the second seeing what the first used — they cannot both slip under
the limit. The buyer is known only by the blind index of the ID number.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from .db import update_rows
from .models import QuotaCharge, QuotaLedger, RetailImportPolicy
from .policy import limits_of
from .tax import ZERO, QuotaVerdict, quota_verdict


@dataclass
class QuotaRequest:
    """One list to judge: who bought, in which year, for how much, under which policy."""

    declaration_id: int
    buyer_id_bidx: str
    buyer_name_bidx: str
    year: int
    value: Decimal
    single_item: bool
    policy: RetailImportPolicy


def _lock_ledgers(keys: Iterable[tuple[str, int]], now) -> dict[tuple[str, int], QuotaLedger]:
    keys = sorted(set(keys))
    if not keys:
        return {}
    table = QuotaLedger._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (buyer_id_bidx, year, used, updated_at) "  # noqa: S608 (constants only)
            "SELECT b, y, 0, %s FROM unnest(%s::varchar[], %s::int[]) AS k(b, y) ORDER BY b, y "
            "ON CONFLICT (buyer_id_bidx, year) DO NOTHING",
            [now, [k[0] for k in keys], [k[1] for k in keys]])
    wanted = set(keys)
    rows = (QuotaLedger.objects.select_for_update()
            .filter(buyer_id_bidx__in={k[0] for k in keys}, year__in={k[1] for k in keys})
            .order_by("buyer_id_bidx", "year"))
    return {(r.buyer_id_bidx, r.year): r for r in rows if (r.buyer_id_bidx, r.year) in wanted}


def quota_charge_many(requests: list[QuotaRequest], *, now=None) -> dict[int, tuple[str, Decimal]]:
    """Judge and charge lists against their buyers' annual quota, in the order given (call inside
    the transaction that moves the lists on). Returns, per list, the verdict and what the buyer had
    used before it; a list within the limits (or one indivisible item to be taxed in full) is
    charged, the others are not."""
    now = now or timezone.now()
    ledgers = _lock_ledgers(((r.buyer_id_bidx, r.year) for r in requests), now)
    verdicts: dict[int, tuple[str, Decimal]] = {}
    charges, touched = [], {}
    for r in requests:
        ledger = ledgers[(r.buyer_id_bidx, r.year)]
        verdict = quota_verdict(used=ledger.used, value=r.value, limits=limits_of(r.policy),
                                single_item=r.single_item)
        verdicts[r.declaration_id] = (verdict, ledger.used)
        if verdict in (QuotaVerdict.WITHIN, QuotaVerdict.FULL_TAX):
            ledger.used += r.value
            ledger.updated_at = now
            touched[ledger.pk] = ledger
            charges.append(QuotaCharge(declaration_id=r.declaration_id, buyer_id_bidx=r.buyer_id_bidx,
                                       buyer_name_bidx=r.buyer_name_bidx, year=r.year, amount=r.value,
                                       policy=r.policy, charged_at=now))
    if touched:
        update_rows(QuotaLedger, touched.values(), ["used", "updated_at"])
    QuotaCharge.objects.bulk_create(charges)
    return verdicts


class RestoreTooLarge(Exception):
    def __init__(self, declaration_id: int, amount: Decimal, counted: Decimal) -> None:
        super().__init__(f"list {declaration_id}: restore {amount} > counted {counted}")
        self.declaration_id, self.amount, self.counted = declaration_id, amount, counted


def quota_restore_many(amounts: dict[int, Decimal | None], *, now=None, strict: bool = False) -> dict[int, Decimal]:
    """Give back quota charged by lists (a cancellation, a completed return, a rejection): per list
    id, the amount to give back, or ``None`` for all it still counts. Returns what was given back per
    list (lists never charged are left out). ``strict``: raise ``RestoreTooLarge`` rather than give
    back less than asked."""
    now = now or timezone.now()
    charges = list(QuotaCharge.objects.select_for_update().filter(declaration_id__in=list(amounts))
                   .order_by("declaration_id"))
    if not charges:
        return {}
    ledgers = _lock_ledgers(((c.buyer_id_bidx, c.year) for c in charges), now)
    given: dict[int, Decimal] = {}
    for charge in charges:
        wanted = amounts[charge.declaration_id]
        counted = charge.counted
        if wanted is not None and wanted > counted and strict:
            raise RestoreTooLarge(charge.declaration_id, wanted, counted)
        give = counted if wanted is None else min(wanted, counted)
        if give <= ZERO:
            continue
        ledger = ledgers[(charge.buyer_id_bidx, charge.year)]
        ledger.used = max(ledger.used - give, ZERO)
        ledger.updated_at = now
        charge.restored += give
        charge.status = (QuotaCharge.Status.RESTORED if charge.restored >= charge.amount
                         else QuotaCharge.Status.PARTLY_RESTORED)
        charge.restored_at = now
        given[charge.declaration_id] = give
    update_rows(QuotaCharge, charges, ["restored", "status", "restored_at"])
    update_rows(QuotaLedger, ledgers.values(), ["used", "updated_at"])
    return given


def quota_counted(declaration_ids: list[int]) -> dict[int, Decimal]:
    """What each list still counts against its buyer's quota."""
    return {c.declaration_id: c.counted for c in QuotaCharge.objects.filter(declaration_id__in=declaration_ids)}
