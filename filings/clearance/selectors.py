"""Reads of clearance, scoped to the caller the way the declaration hub scopes documents: an
enterprise sees the lists it declared or that name it, customs see all (``filings.hub.selectors``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import F, Prefetch, QuerySet
from django.utils import timezone

from filings.hub import selectors as hub_selectors
from filings.hub.ingest import format_return_time
from filings.hub.spec import DocType
from filings.models import Declaration
from zone_portal.core import crypto
from zone_portal.core.errors import NotFound
from zone_portal.core.masking import mask_id_number, mask_name

from .models import ListStateChange, QuotaCharge, QuotaLedger, State, TaxBill, TaxBillLine
from .policy import PolicyMissing, policy_in_force

LIST_FILTERS = ("state", "direction", "trade_mode", "q")


def lists_for(actor) -> QuerySet[Declaration]:
    """The inventory lists the caller may see (declared ones: stored lists have no state)."""
    return hub_selectors.declarations_for(actor).filter(doc_type=DocType.INVENTORY).exclude(list_state="")


def list_search(actor, filters: dict) -> QuerySet[Declaration]:
    qs = lists_for(actor).select_related("tax_bill", "quota_charge")
    state = (filters.get("state") or "").strip()
    if state in State.values:
        qs = qs.filter(list_state=state)
    for name in ("direction", "trade_mode"):
        value = (filters.get(name) or "").strip()
        if value:
            qs = qs.filter(**{name: value})
    q = (filters.get("q") or "").strip()
    if q:
        qs = qs.filter(order_no=q) | qs.filter(invt_no=q) | qs.filter(logistics_no=q) | qs.filter(cop_no=q)
    return qs.order_by("-declared_at", "-id")


def list_get(actor, pk: int) -> Declaration:
    """One list the caller may see, or ``NotFound`` (also for another enterprise's list)."""
    found = lists_for(actor).filter(pk=pk).first()
    if found is None:
        raise NotFound("inventory list not found")
    return found


def list_for_document(actor, declaration: Declaration) -> Declaration | None:
    """The declared document as clearance shows it to the caller, with its tax bill's number as
    ``tax_no`` (``None`` without one); ``None`` if it is not a declared inventory list or not the
    caller's to see."""
    if declaration.doc_type != DocType.INVENTORY or not declaration.list_state:
        return None
    return lists_for(actor).filter(pk=declaration.pk).annotate(tax_no=F("tax_bill__tax_no")).first()


def list_history(declaration: Declaration) -> list[ListStateChange]:
    return list(ListStateChange.objects.filter(declaration=declaration).order_by("id"))


def tax_bill_get(actor, pk: int) -> TaxBill:
    """The tax bill of list ``pk``, if the caller may see the list and it has one."""
    declaration = list_get(actor, pk)
    bill = (TaxBill.objects.filter(declaration=declaration)
            .prefetch_related(Prefetch("lines", queryset=TaxBillLine.objects.order_by("gnum"))).first())
    if bill is None:
        raise NotFound("this list has no tax bill", code="tax_bill_not_found")
    return bill


def _n(value: Decimal) -> str:
    return f"{value:.5f}"


def tax_bill_content(bill: TaxBill) -> dict:
    """The bill as CEB816 carries it (TaxHeadRd + TaxListRd, N19,5 amounts as text), with what a
    return gave back and the rates each line was computed from."""
    return {
        "TaxHeadRd": {
            "guid": bill.guid, "returnTime": format_return_time(bill.created_at), "invtNo": bill.invt_no,
            "taxNo": bill.tax_no, "customsTax": _n(bill.customs_tax), "valueAddedTax": _n(bill.value_added_tax),
            "consumptionTax": _n(bill.consumption_tax), "status": bill.status, "entDutyNo": "", "note": bill.note,
            "assureCode": bill.assure_code, "ebcCode": bill.ebc_code, "logisticsCode": bill.logistics_code,
            "agentCode": bill.agent_code, "customsCode": bill.customs_code,
        },
        "TaxListRd": [{"gnum": line.gnum, "gcode": line.gcode, "taxPrice": _n(line.tax_price),
                       "customsTax": _n(line.customs_tax), "valueAddedTax": _n(line.value_added_tax),
                       "consumptionTax": _n(line.consumption_tax)} for line in bill.lines.all()],
        "taxPrice": _n(bill.tax_price),
        "taxFactor": f"{bill.tax_factor:.4f}",
        "refunded": {"customsTax": _n(bill.refunded_customs_tax), "valueAddedTax": _n(bill.refunded_value_added_tax),
                     "consumptionTax": _n(bill.refunded_consumption_tax)},
        "rates": [{"gnum": line.gnum, "vatRate": f"{line.vat_rate:.4f}",
                   "consumptionTaxRate": f"{line.consumption_tax_rate:.4f}",
                   "consumptionTaxSpecific": f"{line.consumption_tax_specific:.4f}",
                   "specificQty": _n(line.specific_qty), "effectiveFrom": line.rate_effective_from.isoformat(),
                   "returnedQty": _n(line.returned_qty)} for line in bill.lines.all()],
    }


# --- the consumer's own quota ----------------------------------------------------------------------

@dataclass
class QuotaAnswer:
    """What the consumer self-service page answers (never the ID number in full)."""

    status: str  # "found", "none" (no purchase this year), "mismatch" (purchases under another name)
    masked_id: str
    masked_name: str
    year: int
    used: Decimal = Decimal(0)
    annual_limit: Decimal | None = None
    single_limit: Decimal | None = None
    remaining: Decimal | None = None
    lists: int = 0


def buyer_quota_lookup(*, id_number: str, name: str, on: date | None = None) -> QuotaAnswer:
    """Used and remaining retail-import quota of the buyer with this ID number and name this
    calendar year, looked up by blind index. Purchases recorded under the ID number with a different
    name answer ``mismatch`` and show nothing."""
    on = on or timezone.localdate()
    id_bidx = crypto.blind_index(id_number, "id_number")
    name_bidx = crypto.blind_index(name, "text")
    answer = QuotaAnswer(status="none", masked_id=mask_id_number(id_number), masked_name=mask_name(name),
                         year=on.year)
    try:
        policy = policy_in_force(on)
        answer.annual_limit, answer.single_limit = policy.annual_limit, policy.single_limit
    except PolicyMissing:
        pass
    charges = list(QuotaCharge.objects.filter(buyer_id_bidx=id_bidx, year=on.year)
                   .values_list("buyer_name_bidx", "amount", "restored"))
    if charges and not any(n == name_bidx for n, _a, _r in charges):
        answer.status = "mismatch"
        return answer
    ledger = QuotaLedger.objects.filter(buyer_id_bidx=id_bidx, year=on.year).first()
    answer.used = ledger.used if ledger else Decimal(0)
    answer.lists = sum(1 for _n, amount, restored in charges if amount > restored)
    if charges:
        answer.status = "found"
    if answer.annual_limit is not None:
        answer.remaining = max(answer.annual_limit - answer.used, Decimal(0))
    return answer
