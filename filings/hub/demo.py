"""Demo declarations for ``make run``: a few dozen import and export trades of the demo
enterprises, declared through the hub's real ingest (validated, authorized, stored with receipts
and events), plus a handful of refused documents so the receipts show both outcomes.

Idempotent: documents are keyed by their order numbers; a second run finds them and adds none.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from filings.models import Declaration, EnterpriseFiling, GoodsVersion
from zone_portal.accounts.models import Organization

from . import authority
from .ingest import ingest
from .samples import sample_document
from .spec import KINDS
from .validate import Document

TRADES = 30
# The demo's partner systems sign their declared lists; the platform keeps the signature and does
# not verify it yet (SM2 verification is a later step), so a marked placeholder stands in for one.
DEMO_SIGNATURE = ('<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>'
                  '<ds:SignatureMethod Algorithm="http://www.chinaport.gov.cn/2022/04/xmldsig#sm2-sm3"/>'
                  '</ds:SignedInfo><ds:SignatureValue>DEMO-NOT-A-REAL-SIGNATURE</ds:SignatureValue>'
                  '<ds:KeyInfo><ds:KeyName>DEMO</ds:KeyName></ds:KeyInfo></ds:Signature>')
BUYERS = (("王小明", "110101199003074514", "13911112222", "北京市东城区东长安街1号"),
          ("陈丽", "360426199101010071", "13800138000", "浙江省杭州市西湖区文三路90号"),
          ("李华", "440106198805056311", "13722223333", "广东省广州市天河区体育西路10号"))


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
    documents = [Document(kind=KINDS[d["kind"]], head=d["head"], lines=d["lines"], index=i,
                          signature=d.get("signature", "")) for i, d in enumerate(docs)]
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
    names = dict(Organization.objects.filter(pk__in=[p[0] for p in (ebp, ebc, pay, logistics)])
                 .values_list("pk", "name"))
    party_names = {"ebpName": names[ebp[0]], "ebcName": names[ebc[0]], "payName": names[pay[0]],
                   "logisticsName": names[logistics[0]], "agentName": names[ebc[0]]}
    goods = list(GoodsVersion.objects.filter(item__organization_id=ebc[0], item__status="filed", direction="import",
                                             status="approved").select_related("item")
                 .order_by("item__item_no")[:60])
    orders, payments, waybills, lists = [], [], [], []
    for n in range(TRADES):
        number = f"{n + 1:04d}"
        buyer = BUYERS[n % len(BUYERS)]
        people = {"buyerName": buyer[0], "buyerIdNumber": buyer[1], "buyerTelephone": buyer[2],
                  "consignee": buyer[0], "consigneeTelephone": buyer[2], "consigneeAddress": buyer[3]}
        order = sample_document("CEB311", codes=codes, number=number, orderNo=f"DEMO-I-{number}",
                                **{k: v for k, v in party_names.items() if k in ("ebpName", "ebcName", "payName")},
                                **people)
        picked = [goods[(2 * n + i) % len(goods)] for i in range(2)] if goods else []
        for line, version in zip(order["lines"], picked, strict=False):
            line.update(itemNo=version.item.item_no, itemName=version.name[:250],
                        gmodel=(version.model_spec or version.name)[:510], unit=version.declared_unit_id,
                        country=version.origin_country_id, barCode=version.barcode,
                        price=f"{version.unit_price:.2f}", qty="1", totalPrice=f"{version.unit_price:.2f}")
        total = sum((Decimal(line["totalPrice"]) for line in order["lines"]), Decimal(0))
        order["head"].update(goodsValue=f"{total:.2f}", acturalPaid=f"{total:.2f}")
        orders.append(order)
        if n % 5 != 4:  # every fifth trade still waits for its payment
            payments.append(sample_document(
                "CEB411", codes=codes, number=number, orderNo=f"DEMO-I-{number}", payTransactionId=f"DEMO-PAY-{number}",
                amountPaid=f"{total:.2f}", payName=party_names["payName"], ebpName=party_names["ebpName"],
                payerName=buyer[0], payerIdNumber=buyer[1], telephone=buyer[2]))
        waybills.append(sample_document(
            "CEB511", codes=codes, number=number, orderNo=f"DEMO-I-{number}", logisticsNo=f"DEMO-WB-{number}",
            logisticsName=party_names["logisticsName"], consignee=buyer[0], consigneeTelephone=buyer[2],
            consigneeAddress=buyer[3], goodsInfo="、".join(line["itemName"] for line in order["lines"])[:200]))
        if n % 3 == 0:
            listing = sample_document(
                "CEB621", codes=codes, number=number, orderNo=f"DEMO-I-{number}", logisticsNo=f"DEMO-WB-{number}",
                copNo=f"DEMO-COP-{number}", appStatus="2", invtNo="", preNo="", freight="0", insuredFee="0",
                buyerName=buyer[0], buyerIdNumber=buyer[1], buyerTelephone=buyer[2], consigneeAddress=buyer[3],
                **{k: v for k, v in party_names.items() if k in ("ebpName", "ebcName", "logisticsName", "agentName")})
            for line, ordered, version in zip(listing["lines"], order["lines"], picked, strict=False):
                line.update(itemNo=ordered["itemNo"], itemName=ordered["itemName"], gname=ordered["itemName"],
                            gmodel=ordered["gmodel"], gcode=version.hs_code_id, unit=ordered["unit"],
                            country=ordered["country"], qty="1", price=ordered["price"],
                            totalPrice=ordered["totalPrice"], barCode=ordered.get("barCode") or "",
                            unit1=version.legal_unit_1_id, qty1="1",
                            unit2=version.legal_unit_2_id or "", qty2="1" if version.legal_unit_2_id else "")
            listing["signature"] = DEMO_SIGNATURE
            lists.append(listing)
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
