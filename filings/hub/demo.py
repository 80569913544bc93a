"""Demo declarations for ``make run``: a few dozen import and export trades of the demo
enterprises, declared through the hub's real ingest (validated, authorized, stored with receipts
and events), plus a handful of refused documents so the receipts show both outcomes.

Idempotent: documents are keyed by their order numbers; a second run finds them and adds none.
"""

from __future__ import annotations

from dataclasses import dataclass

from filings.models import Declaration, EnterpriseFiling

from . import authority
from .ingest import ingest
from .samples import sample_document
from .spec import KINDS
from .validate import Document

TRADES = 30


@dataclass
class DemoHubResult:
    accepted: int = 0
    refused: int = 0
    existing: int = 0


def _filed_by_role() -> dict[str, tuple[int, str]]:
    """role → (organization id, code) of the first filed demo enterprise in that role."""
    from zone_portal.accounts.models import User

    found: dict[str, tuple[int, str]] = {}
    own = User.objects.filter(username="demo_ent_admin").values_list("organization_id", flat=True).first()
    rows = (EnterpriseFiling.objects.filter(status=EnterpriseFiling.Status.FILED)
            .order_by("organization__uscc").values_list("organization_id", "organization__uscc",
                                                           "effective_version__roles"))
    rows = sorted(rows, key=lambda row: row[0] != own)  # the demo login's enterprise first
    for org_id, uscc, roles in rows:
        for role in roles or ():
            found.setdefault(role, (org_id, uscc))
    return found


def _declare(org_id: int, docs: list[dict], result: DemoHubResult) -> None:
    documents = [Document(kind=KINDS[d["kind"]], head=d["head"], lines=d["lines"], index=i)
                 for i, d in enumerate(docs)]
    for outcome in ingest(documents, organization_id=org_id):
        if outcome.accepted:
            result.accepted += 1
        else:
            result.refused += 1


def hub_demo_load() -> DemoHubResult:
    result = DemoHubResult()
    authority.reset()
    parties = _filed_by_role()
    needed = ("ebp", "ebc", "payment", "logistics")
    if any(role not in parties for role in needed):
        return result
    if Declaration.objects.filter(order_no__startswith="DEMO-").exists():
        result.existing = Declaration.objects.filter(order_no__startswith="DEMO-").count()
        return result
    ebp, ebc, pay, logistics = (parties[r] for r in needed)
    codes = {"ebpCode": ebp[1], "ebcCode": ebc[1], "payCode": pay[1], "logisticsCode": logistics[1],
             "agentCode": ebc[1], "operatorCode": logistics[1]}
    orders, payments, waybills, lists = [], [], [], []
    for n in range(TRADES):
        number = f"{n + 1:04d}"
        order = sample_document("CEB311", codes=codes, number=number, orderNo=f"DEMO-I-{number}")
        paid = order["head"]["acturalPaid"]
        orders.append(order)
        if n % 5 != 4:  # every fifth trade still waits for its payment
            payments.append(sample_document("CEB411", codes=codes, number=number, orderNo=f"DEMO-I-{number}",
                                            payTransactionId=f"DEMO-PAY-{number}", amountPaid=paid))
        waybills.append(sample_document("CEB511", codes=codes, number=number, orderNo=f"DEMO-I-{number}",
                                        logisticsNo=f"DEMO-WB-{number}"))
        if n % 3 == 0:
            lists.append(sample_document("CEB621", codes=codes, number=number, orderNo=f"DEMO-I-{number}",
                                         logisticsNo=f"DEMO-WB-{number}", copNo=f"DEMO-COP-{number}",
                                         appStatus="1"))
    # a few refused documents: a wrong money identity, an unfiled enterprise, a bad ID number
    orders.append(sample_document("CEB311", codes=codes, number="9001", orderNo="DEMO-I-9001", acturalPaid="1.00"))
    orders.append(sample_document("CEB311", codes={**codes, "ebcCode": "91330100MA2CXXXX0L"}, number="9002",
                                  orderNo="DEMO-I-9002"))
    payments.append(sample_document("CEB411", codes=codes, number="9003", orderNo="DEMO-I-9003",
                                    payerIdNumber="360426199101010072"))
    export_orders = [sample_document("CEB303", codes=codes, number=f"{n + 1:04d}", orderNo=f"DEMO-E-{n + 1:04d}")
                     for n in range(10)]
    _declare(ebp[0], orders + export_orders, result)
    _declare(pay[0], payments, result)
    _declare(logistics[0], waybills, result)
    _declare(ebc[0], lists, result)
    return result
