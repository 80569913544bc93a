"""Writes of clearance (清单核放): quota and tax of reconciled lists, the release decision, and the
cancellations, returns and departures that move released lists on.

Every function here is one transaction over a bounded batch of lists, set-based: the lists are
locked ``FOR UPDATE`` in id order and only in the state the step expects (a repeated call finds
nothing to do), the reference data is read once per batch, and the state changes are written in
bulk by ``lifecycle.transition``.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from filings.hub.ingest import STATUS_ACCEPTED
from filings.hub.rules import Problem, return_info
from filings.hub.spec import DocType
from filings.models import Declaration, DeclarationReceipt
from zone_portal.audit.services import audit_record
from zone_portal.codes.models import HsRate
from zone_portal.codes.selectors import hs_rate_in_force
from zone_portal.core.errors import ApplicationError
from zone_portal.core.masking import mask_id_number, mask_name
from zone_portal.events.services import publish_many

from . import registry
from .db import update_rows
from .lifecycle import (
    STATUS_MANUAL_REVIEW,
    TAX_NO_SEQUENCE,
    Change,
    assign_invt_nos,
    current_versions,
    next_values,
    receipt_keys,
    transition,
)
from .models import ListStateChange, QuotaCharge, RetailImportPolicy, State, TaxBill, TaxBillLine
from .policy import PolicyMissing, limits_of, policies_all, policy_in_force, return_window_days
from .quota import QuotaRequest, quota_charge_many, quota_counted, quota_restore_many
from .selectors import buyer_quota_lookup
from .tax import ZERO, LineTax, QuotaVerdict, Rates, apportion, retail_line_tax, to_fen, to_n19_5

DEFAULT_RETAIL_IMPORT_MODES = ("9610", "1210", "1239")
STATUS_CONCLUDED = "399"


def retail_import_modes() -> tuple[str, ...]:
    """Import trade modes under the retail-import limits and tax (9610 直购, 1210 / 1239 网购保税)."""
    return tuple(getattr(settings, "CLEARANCE_RETAIL_IMPORT_TRADE_MODES", DEFAULT_RETAIL_IMPORT_MODES))


def is_retail_import(d: Declaration) -> bool:
    return d.direction == Declaration.Direction.IMPORT and d.trade_mode in retail_import_modes()


def _dec(value) -> Decimal:
    try:
        return Decimal(str(value)) if value not in (None, "") else ZERO
    except InvalidOperation:
        return ZERO


def local_day(moment) -> date:
    return timezone.localtime(moment).date()


# --- assessment of one list ---------------------------------------------------------------------

@dataclass
class BillLine:
    gnum: int
    gcode: str
    gname: str
    qty: Decimal
    unit: str
    tax_price: Decimal
    rate: HsRate | None = None
    specific_qty: Decimal = ZERO
    tax: LineTax | None = None


@dataclass
class Assessment:
    """What one retail-import list is worth and owes, before the quota decides."""

    declaration: Declaration
    day: date
    head: dict
    value: Decimal
    single_item: bool
    lines: list[BillLine]
    policy: RetailImportPolicy | None = None
    problems: list[Problem] = field(default_factory=list)


def _rates_by_code(gcodes: set[str], last_day: date) -> dict[str, list[HsRate]]:
    found: dict[str, list[HsRate]] = defaultdict(list)
    for rate in HsRate.objects.filter(hs_code_id__in=gcodes, effective_from__lte=last_day):
        found[rate.hs_code_id].append(rate)
    return found


def _specific_qty(line: dict, unit: str) -> Decimal | None:
    """The line's quantity in ``unit`` (the specific tax's): the legal, the second or the declared one."""
    for unit_name, qty_name in (("unit1", "qty1"), ("unit2", "qty2"), ("unit", "qty")):
        if line.get(unit_name) == unit and line.get(qty_name) not in (None, ""):
            return _dec(line[qty_name])
    return None


def assess(d: Declaration, head: dict, lines: list[dict], *, policies, rates_by_code) -> Assessment:
    """The duty-paid value of a retail-import list (its lines plus freight and insurance) and the
    tax of each line at the rates in force on the day it was declared. A line whose rates are not
    on file makes a problem, never a guessed tax."""
    day = local_day(d.declared_at)
    lines = sorted(lines, key=lambda line: int(line.get("gnum") or 0))
    prices = apportion([_dec(line.get("totalPrice")) for line in lines],
                       _dec(head.get("freight")) + _dec(head.get("insuredFee")))
    bill_lines = [BillLine(gnum=int(line.get("gnum") or i + 1), gcode=line.get("gcode", ""),
                           gname=line.get("gname", "")[:250], qty=_dec(line.get("qty")), unit=line.get("unit", ""),
                           tax_price=price) for i, (line, price) in enumerate(zip(lines, prices, strict=True))]
    result = Assessment(declaration=d, day=day, head=head, value=sum(prices, ZERO),
                        single_item=len(lines) == 1 and _dec(lines[0].get("qty")) == 1, lines=bill_lines)
    try:
        result.policy = policy_in_force(day, policies)
    except PolicyMissing:
        result.problems.append(Problem(-900611, "", {"day": day.isoformat()}))
        return result
    factor = result.policy.tax_factor
    for bill_line, line in zip(bill_lines, lines, strict=True):
        rate = hs_rate_in_force(rates_by_code.get(bill_line.gcode, []), day)
        if rate is None:
            result.problems.append(Problem(-900601, f"lines[gnum={bill_line.gnum}].gcode",
                                           {"gnum": bill_line.gnum, "gcode": bill_line.gcode, "day": day.isoformat()}))
            continue
        specific_qty = ZERO
        if rate.consumption_tax_specific:
            found = _specific_qty(line, rate.consumption_tax_specific_unit_id or "")
            if found is None:
                result.problems.append(Problem(-900603, f"lines[gnum={bill_line.gnum}].qty1", {
                    "gnum": bill_line.gnum, "gcode": bill_line.gcode, "unit": rate.consumption_tax_specific_unit_id}))
                continue
            specific_qty = found
        bill_line.rate, bill_line.specific_qty = rate, specific_qty
        bill_line.tax = retail_line_tax(bill_line.tax_price, Rates(vat=rate.vat_rate,
                                                                   consumption=rate.consumption_tax_rate,
                                                                   specific=rate.consumption_tax_specific),
                                        factor, specific_qty=specific_qty)
    return result


def _assess_many(lists: list[Declaration], versions) -> list[Assessment]:
    if not lists:
        return []
    policies = policies_all()
    gcodes = {line.get("gcode", "") for d in lists for line in versions[d.pk].lines}
    rates = _rates_by_code(gcodes, max(local_day(d.declared_at) for d in lists))
    return [assess(d, versions[d.pk].head, versions[d.pk].lines, policies=policies, rates_by_code=rates)
            for d in lists]


def _write_bills(assessments: list[Assessment], *, now) -> dict[int, TaxBill]:
    """One tax bill (CEB816 content) per assessed list, with its lines, in bulk."""
    if not assessments:
        return {}
    year = timezone.localtime(now).year
    bills = []
    for a, serial in zip(assessments, next_values(TAX_NO_SEQUENCE, len(assessments)), strict=True):
        head, d = a.head, a.declaration
        customs = (head.get("customsCode") or "0000")[:4]
        bills.append(TaxBill(
            declaration_id=d.pk, guid=str(uuid.uuid4()).upper(), tax_no=f"T{customs}{year}{serial:010d}",
            invt_no=d.invt_no[:18], tax_price=a.value, customs_tax=sum((x.tax.customs for x in a.lines), ZERO),
            value_added_tax=sum((x.tax.vat for x in a.lines), ZERO),
            consumption_tax=sum((x.tax.consumption for x in a.lines), ZERO),
            tax_factor=a.policy.tax_factor, policy=a.policy, assure_code=head.get("assureCode", ""),
            ebc_code=d.ebc_code, logistics_code=d.logistics_code, agent_code=d.agent_code, customs_code=customs,
            created_at=now, updated_at=now))
    TaxBill.objects.bulk_create(bills, batch_size=1000)
    lines = [TaxBillLine(bill_id=bill.pk, gnum=x.gnum, gcode=x.gcode, gname=x.gname, qty=x.qty, unit=x.unit,
                         tax_price=x.tax_price, vat_rate=x.rate.vat_rate,
                         consumption_tax_rate=x.rate.consumption_tax_rate,
                         consumption_tax_specific=x.rate.consumption_tax_specific, specific_qty=x.specific_qty,
                         rate_effective_from=x.rate.effective_from, customs_tax=x.tax.customs,
                         value_added_tax=x.tax.vat, consumption_tax=x.tax.consumption)
             for a, bill in zip(assessments, bills, strict=True) for x in a.lines]
    TaxBillLine.objects.bulk_create(lines, batch_size=1000)
    return {bill.declaration_id: bill for bill in bills}


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def _quota_request(a: Assessment) -> QuotaRequest:
    d = a.declaration
    return QuotaRequest(declaration_id=d.pk, buyer_id_bidx=d.buyer_id_bidx or "",
                        buyer_name_bidx=d.buyer_name_bidx or "", year=a.day.year, value=a.value,
                        single_item=a.single_item, policy=a.policy)


# --- reconciled lists: quota, tax, risk check --------------------------------------------------

@transaction.atomic
def lists_clear(*, declaration_ids: list[int]) -> dict[str, list[int]]:
    """Apply the retail-import limits and tax to reconciled lists, then hand every reconciled list to
    the release decision.

    A retail-import list (9610/1210) over the single-transaction limit is refused (-621005), one
    that would take its buyer over the annual limit too (-621018); one whose tax cannot be computed
    from the reference data on file is held with the reason (and still counts against the quota).
    The others get their tax bill and enter the risk check, with export lists and the other modes —
    released at once while no risk assessor is registered. Returns the list ids by new state."""
    now = timezone.now()
    lists = list(Declaration.objects.select_for_update()
                 .filter(pk__in=list(declaration_ids), doc_type=DocType.INVENTORY, list_state=State.RECONCILED,
                         deleted=False).order_by("pk"))
    if not lists:
        return {}
    # the reconciliation's step (its set-based UPDATE moved the lists): on the history too
    ListStateChange.objects.bulk_create([
        ListStateChange(declaration_id=d.pk, from_state=State.DECLARED, to_state=State.RECONCILED,
                        reason="三单比对相符", actor_label="system", created_at=d.updated_at or now)
        for d in lists])
    versions = current_versions(lists)
    retail = [d for d in lists if is_retail_import(d)]
    retail_ids = {d.pk for d in retail}
    changes: list[Change] = []
    assessments = _assess_many(retail, versions)
    requests = [_quota_request(a) for a in sorted(assessments, key=lambda a: (a.declaration.declared_at,
                                                                                 a.declaration.pk))
                if a.policy is not None]
    verdicts = quota_charge_many(requests, now=now)
    taxed = []
    for a in assessments:
        d = a.declaration
        verdict, used = verdicts.get(d.pk, (None, ZERO))
        limits = {"ref": d.order_no, "amount": _money(a.value)}
        if verdict == QuotaVerdict.OVER_SINGLE:
            problems = [Problem(-621005, "", limits | {"limit": _money(a.policy.single_limit)})]
            changes.append(Change(d, State.REJECTED, return_status="-621005", info=return_info(problems),
                                  problems=problems, reason=problems[0].message_zh))
        elif verdict == QuotaVerdict.OVER_ANNUAL:
            problems = [Problem(-621018, "", limits | {"used": _money(used), "limit": _money(a.policy.annual_limit)})]
            changes.append(Change(d, State.REJECTED, return_status="-621018", info=return_info(problems),
                                  problems=problems, reason=problems[0].message_zh))
        elif verdict == QuotaVerdict.FULL_TAX or a.problems:
            problems = a.problems or [Problem(-900602, "", {"amount": _money(a.value),
                                                            "limit": _money(a.policy.single_limit)})]
            changes.append(Change(d, State.HELD, return_status=STATUS_MANUAL_REVIEW, info=return_info(problems),
                                  problems=problems, reason=problems[0].message_zh))
        else:
            taxed.append(a)
    bills = _write_bills(taxed, now=now)
    for a in taxed:
        bill = bills[a.declaration.pk]
        changes.append(Change(a.declaration, State.RISK_CHECK, info=(
            f"审结：完税价格{_money(a.value)}元，应征关税{_money(bill.customs_tax)}元、增值税{_money(bill.value_added_tax)}元、"
            f"消费税{_money(bill.consumption_tax)}元（税单{bill.tax_no}）")))
    for d in lists:
        if d.pk not in retail_ids:
            changes.append(Change(d, State.RISK_CHECK, info="审结"))
    transition(changes, now=now, versions=versions)
    to_check = [c.declaration for c in changes if c.to_state == State.RISK_CHECK]
    assessor = registry.risk_assessor()
    if to_check and assessor is not None:
        ids = [d.pk for d in to_check]
        transaction.on_commit(lambda: assessor(ids))
    elif to_check:
        _decide(to_check, Decision.RELEASE, actor=None, reason="", now=now, versions=versions)
    result: dict[str, list[int]] = defaultdict(list)
    for d in lists:
        result[d.list_state].append(d.pk)
    return dict(result)


# --- the release decision -----------------------------------------------------------------------

class Decision(models.TextChoices):
    RELEASE = "release", gettext_lazy("release (放行)")
    HOLD = "hold", gettext_lazy("hold for inspection (查验)")
    REJECT = "reject", gettext_lazy("reject (退单)")


DECIDABLE = {
    Decision.RELEASE: (State.RISK_CHECK, State.HELD),
    Decision.HOLD: (State.RISK_CHECK,),
    Decision.REJECT: (State.RISK_CHECK, State.HELD),
}


class ReasonRequired(ApplicationError):
    code = "reason_required"


@dataclass
class DecideResult:
    changed: list[int] = field(default_factory=list)
    refused: dict[int, str] = field(default_factory=dict)


def _retax(lists: list[Declaration], versions, *, now) -> tuple[dict[int, TaxBill], dict[int, str]]:
    """Tax bills for held retail-import lists that have none (their rates, or the policy, were
    missing), now that the reference data may be on file — and the quota charge of a list that was
    held before it could be counted; the reasons for those still not releasable."""
    refused: dict[int, str] = {}
    ok = []
    for a in _assess_many(lists, versions):
        if a.problems:
            refused[a.declaration.pk] = return_info(a.problems)
        elif a.value > a.policy.single_limit:
            full_tax = a.single_item and limits_of(a.policy).single_item_full_tax
            refused[a.declaration.pk] = return_info([Problem(-900602 if full_tax else -621005, "", {
                "ref": a.declaration.order_no, "amount": _money(a.value), "limit": _money(a.policy.single_limit)})])
        else:
            ok.append(a)
    charged = set(QuotaCharge.objects.filter(declaration_id__in=[a.declaration.pk for a in ok])
                  .values_list("declaration_id", flat=True))
    uncounted = [a for a in ok if a.declaration.pk not in charged]
    verdicts = quota_charge_many([_quota_request(a) for a in uncounted], now=now)
    for a in uncounted:
        verdict, used = verdicts[a.declaration.pk]
        if verdict == QuotaVerdict.OVER_ANNUAL:
            refused[a.declaration.pk] = return_info([Problem(-621018, "", {
                "used": _money(used), "amount": _money(a.value), "limit": _money(a.policy.annual_limit)})])
    return _write_bills([a for a in ok if a.declaration.pk not in refused], now=now), refused


def _decide(lists: list[Declaration], decision: str, *, actor, reason: str, now, versions=None) -> DecideResult:
    result = DecideResult()
    versions = versions if versions is not None else current_versions(lists)
    changes = []
    if decision == Decision.RELEASE:
        retail = [d for d in lists if is_retail_import(d)]
        bills = {b.declaration_id: b for b in TaxBill.objects.filter(declaration__in=retail)
                 .exclude(status=TaxBill.Status.VOID)}
        missing = [d for d in retail if d.pk not in bills]
        if missing:
            new_bills, result.refused = _retax(missing, versions, now=now)
            bills.update(new_bills)
        released = [d for d in lists if d.pk not in result.refused]
        assign_invt_nos(released, versions, now=now)
        for d in released:
            d.released_at = now
            bill = bills.get(d.pk)
            if bill is not None:
                bill.invt_no, bill.updated_at = d.invt_no[:18], now
            changes.append(Change(d, State.RELEASED, info=f"放行（清单编号{d.invt_no}）", reason=reason))
        update_rows(TaxBill, [bills[d.pk] for d in released if d.pk in bills], ["invt_no", "updated_at"])
    elif decision == Decision.HOLD:
        changes = [Change(d, State.HELD, info=f"查验：{reason}", reason=reason) for d in lists]
    else:
        changes = [Change(d, State.REJECTED, info=f"退单：{reason}", reason=reason) for d in lists]
        quota_restore_many({d.pk: None for d in lists}, now=now)
        TaxBill.objects.filter(declaration__in=lists).update(status=TaxBill.Status.VOID, updated_at=now)
    transition(changes, actor=actor, now=now, versions=versions,
               audit_action=f"clearance.inventorylist.{decision}" if actor is not None else "")
    result.changed = [c.declaration.pk for c in changes]
    return result


@transaction.atomic
def list_release_decide(*, declaration_ids: list[int], decision: str, actor=None, reason: str = "") -> DecideResult:
    """The release decision (放行决定) on inventory lists under risk check or held: release (放行; the
    list gets its invtNo), hold for inspection (查验), or reject (退单: the buyer's quota comes back
    and the tax bill is void). Hold and reject need a reason. The risk system calls it for the lists
    it assessed; customs officers through the back office. A held retail-import list is released
    only with a tax bill, computed now if its rates were missing. Lists in another state are left
    alone and reported in ``refused``."""
    if decision not in DECIDABLE:
        raise ApplicationError(_("Unknown decision: %(d)s") % {"d": decision}, code="decision_invalid",
                               field="decision")
    if decision != Decision.RELEASE and not reason.strip():
        raise ReasonRequired(_("Give the reason for holding or rejecting a list."), field="reason")
    now = timezone.now()
    lists = list(Declaration.objects.select_for_update()
                 .filter(pk__in=list(declaration_ids), doc_type=DocType.INVENTORY, deleted=False).order_by("pk"))
    states = dict(Declaration.ListState.choices)
    eligible, refused = [], {}
    for d in lists:
        if d.list_state in DECIDABLE[decision]:
            eligible.append(d)
        else:
            refused[d.pk] = _("The list is %(state)s.") % {"state": states.get(d.list_state, d.list_state)}
    result = _decide(eligible, decision, actor=actor, reason=reason.strip(), now=now)
    result.refused.update(refused)
    return result


# --- cancellations, returns, departures ------------------------------------------------------------

# kind → (direction, what it does to the list, states it applies to, the -625014-style code for a too-large qty)
REQUESTS = {
    "CEB623": ("I", State.CANCELLED, (State.RELEASED,), None),
    "CEB605": ("E", State.CANCELLED, (State.RELEASED,), None),
    "CEB625": ("I", State.RETURNED, (State.RELEASED,), -625014),
    "CEB213": ("E", State.RETURNED, (State.RELEASED, State.CLOSED), -900610),
}
# header fields a request must share with the list it names (beyond invtNo), by the list's column
SAME_AS_LIST = {
    "CEB623": (("ebcCode", "ebc_code"), ("ebpCode", "ebp_code"), ("orderNo", "order_no"),
               ("logisticsNo", "logistics_no"), ("buyerIdNumber", "buyer_id_bidx"), ("buyerName", "buyer_name_bidx")),
    "CEB625": (("ebcCode", "ebc_code"), ("ebpCode", "ebp_code"), ("orderNo", "order_no"),
               ("buyerIdNumber", "buyer_id_bidx"), ("buyerName", "buyer_name_bidx")),
    "CEB605": (("ebcCode", "ebc_code"),),
    "CEB213": (("ebcCode", "ebc_code"), ("ebpCode", "ebp_code")),
}
ACTION_ZH = {State.CANCELLED: "撤销", State.RETURNED: "退货"}


def _field_value(doc: Declaration, head: dict, name: str, column: str) -> str:
    if column.endswith("_bidx"):
        return getattr(doc, column) or ""
    return head.get(name, "") or ""


def _returned_quantities(lines: list[dict]) -> dict[int, tuple[Decimal, str]]:
    found: dict[int, tuple[Decimal, str]] = {}
    for line in lines:
        gnum = int(line.get("gnum") or 0)
        qty, gcode = found.get(gnum, (ZERO, line.get("gcode", "")))
        found[gnum] = (qty + _dec(line.get("qty")), gcode)
    return found


@dataclass
class _Accepted:
    doc: Declaration
    target: Declaration
    to_state: str
    returned: dict[int, tuple[Decimal, str]] = field(default_factory=dict)
    restore: Decimal | None = None  # None: all the list still counts


def _check_request(doc, head, lines, target, list_versions, *, state_now, counted, now
                   ) -> tuple[list[Problem], _Accepted | None]:
    direction, to_state, states, qty_code = REQUESTS[doc.kind]
    invt_no = head.get("invtNo", "")
    if target is None:
        return [Problem(-900604, "head.invtNo", {"invtNo": invt_no})], None
    for name, column in SAME_AS_LIST[doc.kind]:
        if _field_value(doc, head, name, column) != (getattr(target, column) or ""):
            return [Problem(-900606, f"head.{name}")], None
    state = state_now.get(target.pk, target.list_state)
    if state not in states:
        return [Problem(-900605, "head.invtNo", {"state": dict(State.choices).get(state, state),
                                                 "action": ACTION_ZH[to_state]})], None
    accepted = _Accepted(doc=doc, target=target, to_state=to_state)
    if to_state != State.RETURNED:
        return [], accepted
    released_day = local_day(target.released_at or now)
    days = return_window_days(direction, released_day)
    if days is None or (local_day(now) - released_day).days > days:
        return [Problem(-900607, "head.invtNo", {"released": released_day.isoformat(), "days": days or 0})], None
    original = {int(line.get("gnum") or 0): line for line in list_versions[target.pk].lines}
    returned = _returned_quantities(lines)
    for gnum, (qty, gcode) in sorted(returned.items()):
        line = original.get(gnum)
        if line is None or line.get("gcode", "") != gcode:
            return [Problem(-900608, f"lines[gnum={gnum}]", {"gnum": gnum})], None
        if qty > _dec(line.get("qty")):
            return [Problem(qty_code, f"lines[gnum={gnum}].qty", {"gnum": gnum, "qty": f"{qty}",
                                                                  "original": line.get("qty")})], None
    accepted.returned = returned
    if is_retail_import(target):
        whole = all(returned.get(g, (ZERO, ""))[0] >= _dec(line.get("qty")) for g, line in original.items())
        if not whole:
            accepted.restore = _return_value(target, list_versions[target.pk], returned)
            if target.pk in counted and accepted.restore > counted[target.pk]:
                return [Problem(-625015, "", {"amount": _money(accepted.restore),
                                              "counted": _money(counted[target.pk])})], None
    return [], accepted


def _return_value(target: Declaration, version, returned) -> Decimal:
    """The duty-paid value of the returned quantities: each line's value (with its share of freight
    and insurance) in proportion to the quantity returned."""
    lines = sorted(version.lines, key=lambda line: int(line.get("gnum") or 0))
    prices = apportion([_dec(line.get("totalPrice")) for line in lines],
                       _dec(version.head.get("freight")) + _dec(version.head.get("insuredFee")))
    value = ZERO
    for line, price in zip(lines, prices, strict=True):
        qty = _dec(line.get("qty"))
        back = returned.get(int(line.get("gnum") or 0), (ZERO, ""))[0]
        if qty and back:
            value += price * back / qty
    return to_n19_5(value)


def _refund_bills(accepted: list[_Accepted], *, now) -> None:
    """Cancelled lists' tax bills are void; a return gives back the tax of the quantities returned
    (the whole bill is void when everything came back)."""
    cancelled = [a.target.pk for a in accepted if a.to_state == State.CANCELLED]
    if cancelled:
        TaxBill.objects.filter(declaration_id__in=cancelled).update(status=TaxBill.Status.VOID, updated_at=now)
    returns = {a.target.pk: a for a in accepted if a.to_state == State.RETURNED}
    if not returns:
        return
    bills = list(TaxBill.objects.filter(declaration_id__in=list(returns)).prefetch_related("lines"))
    changed_lines = []
    for bill in bills:
        returned = returns[bill.declaration_id].returned
        whole = True
        for line in bill.lines.all():
            back = returned.get(line.gnum, (ZERO, ""))[0]
            line.returned_qty = min(line.qty, line.returned_qty + back)
            whole = whole and line.returned_qty >= line.qty
            changed_lines.append(line)
        lines = list(bill.lines.all())
        if whole:
            bill.status = TaxBill.Status.VOID
            bill.refunded_customs_tax, bill.refunded_value_added_tax, bill.refunded_consumption_tax = (
                bill.customs_tax, bill.value_added_tax, bill.consumption_tax)
        else:
            pairs = [(x, x.returned_qty / x.qty if x.qty else ZERO) for x in lines]
            bill.refunded_customs_tax = sum((to_fen(x.customs_tax * s) for x, s in pairs), ZERO)
            bill.refunded_value_added_tax = sum((to_fen(x.value_added_tax * s) for x, s in pairs), ZERO)
            bill.refunded_consumption_tax = sum((to_fen(x.consumption_tax * s) for x, s in pairs), ZERO)
        bill.updated_at = now
    update_rows(TaxBillLine, changed_lines, ["returned_qty"])
    update_rows(TaxBill, bills, ["status", "refunded_customs_tax", "refunded_value_added_tax",
                                        "refunded_consumption_tax", "updated_at"])


def _answer_documents(answers: list[tuple[Declaration, str, str, list[Problem]]], versions, *, now) -> None:
    """The receipt of each cancellation or return (CEB624/626/606/214 content) and its event."""
    receipts, events = [], []
    for doc, status, info, problems in answers:
        version = versions.get(doc.pk)
        doc.return_status, doc.updated_at = status, now
        keys = receipt_keys(doc, version.head if version else {})
        receipts.append(DeclarationReceipt(
            declaration_id=doc.pk, version_id=version.pk if version else None, organization_id=doc.organization_id,
            kind=doc.kind, guid=doc.guid, keys=keys, return_status=status, return_time=now, return_info=info[:1000],
            problems=[p.as_dict() for p in problems]))
        events.append(("receipt.created", doc.parties or [doc.organization_id],
                       {"kind": doc.kind, "guid": doc.guid, "returnStatus": status, "returnInfo": info[:1000],
                        "keys": keys, "errors": [{"code": p.code, "field": p.field} for p in problems]},
                       f"{doc.kind}:{doc.guid}"))
    update_rows(Declaration, [a[0] for a in answers], ["return_status", "updated_at"])
    DeclarationReceipt.objects.bulk_create(receipts, batch_size=1000)
    publish_many(events)


def _departures(docs: list[Declaration], versions) -> list[Change]:
    """Export lists released and now departed (CEB509: the waybills that left) are closed (结关)."""
    pairs: dict[tuple[str, str], Declaration] = {}
    for doc in docs:
        version = versions.get(doc.pk)
        if version is None:
            continue
        code = version.head.get("logisticsCode", "") or doc.logistics_code
        for line in version.lines:
            if line.get("logisticsNo"):
                pairs.setdefault((code, line["logisticsNo"]), doc)
    if not pairs:
        return []
    lists = (Declaration.objects.select_for_update()
             .filter(doc_type=DocType.INVENTORY, direction=Declaration.Direction.EXPORT, list_state=State.RELEASED,
                     deleted=False, logistics_no__in=sorted({no for _code, no in pairs})).order_by("pk"))
    changes = []
    for d in lists:
        doc = pairs.get((d.logistics_code, d.logistics_no))
        if doc is not None:
            changes.append(Change(d, State.CLOSED, info=f"结关（离境单{doc.cop_no or doc.business_key}）",
                                  document_id=doc.pk))
    return changes


@transaction.atomic
def documents_process(*, declaration_ids: list[int]) -> dict[str, int]:
    """Carry out the declared (appStatus 2) cancellations (CEB623 import / CEB605 export), returns
    (CEB625 / CEB213) and departures (CEB509) among ``declaration_ids``.

    A cancellation of a released list cancels it; a return within the window (30 days after release
    for imports, a year for exports, dated settings) with quantities at most the original's per gnum
    returns it; either gives the buyer's quota back (a partial return the value returned) and voids
    or reduces the tax bill. Each request gets its receipt: 399 (审结) or the reason it was refused.
    A departure closes (结关) the released export lists whose waybills left. Counts by outcome."""
    now = timezone.now()
    docs = list(Declaration.objects.select_for_update()
                .filter(pk__in=list(declaration_ids), doc_type__in=(DocType.CANCEL, DocType.REFUND, DocType.DEPARTURE),
                        app_status="2", deleted=False, return_status=STATUS_ACCEPTED).order_by("pk"))
    if not docs:
        return {}
    doc_versions = current_versions(docs)
    requests = [d for d in docs if d.kind in REQUESTS and d.pk in doc_versions]
    done_before = set(ListStateChange.objects.filter(document_id__in=[d.pk for d in requests])
                      .values_list("document_id", flat=True))
    numbers = {(REQUESTS[d.kind][0], doc_versions[d.pk].head.get("invtNo", "")) for d in requests}
    lists = list(Declaration.objects.select_for_update()
                 .filter(doc_type=DocType.INVENTORY, deleted=False, invt_no__in=sorted({n for _d, n in numbers if n}))
                 .order_by("pk"))
    by_number = {(d.direction, d.invt_no): d for d in lists}
    list_versions = current_versions(lists)
    counted = quota_counted([d.pk for d in lists])
    state_now: dict[int, str] = {}
    answers, accepted = [], []
    for doc in requests:
        version = doc_versions[doc.pk]
        if doc.pk in done_before:
            problems, found = [Problem(-900609, "head.appType")], None
        else:
            target = by_number.get((REQUESTS[doc.kind][0], version.head.get("invtNo", "")))
            problems, found = _check_request(doc, version.head, version.lines, target, list_versions,
                                             state_now=state_now, counted=counted, now=now)
        if problems:
            answers.append((doc, str(problems[0].code), return_info(problems), problems))
            continue
        state_now[found.target.pk] = found.to_state
        if found.restore is not None and found.target.pk in counted:
            counted[found.target.pk] -= found.restore
        accepted.append(found)
        answers.append((doc, STATUS_CONCLUDED, f"审结：清单{found.target.invt_no}已{ACTION_ZH[found.to_state]}", []))
    changes = [Change(a.target, a.to_state, info=f"清单已{ACTION_ZH[a.to_state]}（{a.doc.kind} {a.doc.guid}）",
                      reason=(doc_versions[a.doc.pk].head.get("reason", "") or "")[:1000], document_id=a.doc.pk)
               for a in accepted]
    restores = {a.target.pk: a.restore for a in accepted if is_retail_import(a.target)}
    quota_restore_many(restores, now=now)
    _refund_bills(accepted, now=now)
    changes += _departures([d for d in docs if d.doc_type == DocType.DEPARTURE], doc_versions)
    transition(changes, now=now, versions=list_versions | current_versions(
        [c.declaration for c in changes if c.declaration.pk not in list_versions]))
    if answers:
        _answer_documents(answers, doc_versions, now=now)
    return {"accepted": len(accepted), "refused": len(answers) - len(accepted),
            "closed": sum(1 for c in changes if c.to_state == State.CLOSED)}


# --- the consumer's self-service quota query ------------------------------------------------------

@transaction.atomic
def buyer_quota_query(*, id_number: str, name: str, actor=None, outcome: str = ""):
    """A consumer asks for the year's used and remaining quota with ID number and name: the answer,
    and an audit event of the query with the ID number masked (never stored in full). ``outcome``
    records a query that was not answered (``rate_limited``, ``invalid``)."""
    answer = None if outcome else buyer_quota_lookup(id_number=id_number, name=name)
    audit_record(actor=actor, action="clearance.quota.query", extra={
        "id_number": mask_id_number(id_number), "name": mask_name(name),
        "outcome": outcome or answer.status, "year": answer.year if answer else None})
    return answer
