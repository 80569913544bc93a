"""The declaration hub's contract: which CEB messages it accepts, how each is built, who may send
it, what identifies it, and what receipt answers it.

Field lists (names, types, lengths, required flags) come from ``spec_data`` (generated from the
customs reference, §2). The rest of this module is the part of the spec that the field tables do
not say: the message's business node, who declares it (§1.2 "sender"), its business key and the
receipt message (§1.2 catalogue). Wrapper element names (``Order`` around ``OrderHead`` and
``OrderList`` …) follow the 2022-05 XSDs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .spec_data import ENTITIES

NAMESPACE = "http://www.chinaport.gov.cn/ceb"
DSIG_NAMESPACE = "http://www.w3.org/2000/09/xmldsig#"
MAX_DOCUMENTS_PER_MESSAGE = 100


@dataclass(frozen=True)
class FieldSpec:
    name: str
    kind: str  # "C" text, "N" number
    exact: int  # exact length for Cn, else 0
    max: int  # C..n: max length; N: total digits; 0 = unbounded
    scale: int  # decimal places for N
    required: bool
    meaning: str

    @property
    def type_label(self) -> str:
        if self.kind == "N":
            return f"N{self.max},{self.scale}" if self.scale else f"N{self.max}"
        if self.exact:
            return f"C{self.exact}"
        return f"C..{self.max}" if self.max else "C"


def entity_fields(key: str) -> tuple[FieldSpec, ...]:
    return tuple(FieldSpec(*row) for row in ENTITIES[key]["fields"])


class DocType:
    ORDER = "order"
    PAYMENT = "payment"
    RECEIPT = "receipt"  # export collection voucher (收款单)
    WAYBILL = "waybill"
    WAYBILL_STATUS = "waybill_status"
    INVENTORY = "inventory"
    CANCEL = "cancel"
    REFUND = "refund"
    DELIVERY = "delivery"
    ARRIVAL = "arrival"
    DEPARTURE = "departure"
    WAYBILL_BIND = "waybill_bind"
    SUMMARY = "summary"

    LABELS = {
        ORDER: ("Order", "订单"),
        PAYMENT: ("Payment", "支付单"),
        RECEIPT: ("Receipt", "收款单"),
        WAYBILL: ("Waybill", "运单"),
        WAYBILL_STATUS: ("Waybill status", "运单状态"),
        INVENTORY: ("Inventory list", "清单"),
        CANCEL: ("Cancellation", "撤销申请单"),
        REFUND: ("Return", "退货申请单"),
        DELIVERY: ("Warehouse-in detail", "入库明细单"),
        ARRIVAL: ("Arrival", "运抵单"),
        DEPARTURE: ("Departure", "离境单"),
        WAYBILL_BIND: ("Master/sub waybill", "清单总分单"),
        SUMMARY: ("Summary request", "汇总申请单"),
    }


# Roles (filings.models.EnterpriseRole values) that may declare a document kind. Lists may also be
# declared by a filed customs broker acting for the e-commerce enterprise (agentCode = caller).
ORDER_ROLES = ("ebp", "ebc")
PAYMENT_ROLES = ("payment",)
LOGISTICS_ROLES = ("logistics",)
LIST_ROLES = ("ebc", "broker", "fts")
SITE_ROLES = ("warehouse", "logistics")


@dataclass(frozen=True)
class MessageKind:
    code: str  # "CEB311"
    direction: str  # "I" import, "E" export
    doc_type: str
    node: str  # business node under the message root (repeated 1..100)
    head: str  # entity holding the header fields (== node for flat messages)
    lines: str | None  # entity of the repeated body lines, if any
    max_lines: int
    receipt_code: str
    receipt_node: str
    key_fields: tuple[str, ...]  # the business key: one document per key and declarant
    receipt_keys: tuple[str, ...]  # fields echoed in the receipt besides guid
    roles: tuple[str, ...]
    duplicate_code: int  # returnStatus for an appType 1 whose key exists
    declarant_fields: tuple[str, ...] = field(default=())  # the caller must be one of these codes
    lines_required: bool = True
    signature_required: bool = False

    @property
    def head_fields(self) -> tuple[FieldSpec, ...]:
        return entity_fields(f"{self.code}.{self.head}")

    @property
    def line_fields(self) -> tuple[FieldSpec, ...]:
        return entity_fields(f"{self.code}.{self.lines}") if self.lines else ()

    @property
    def title(self) -> str:
        return ENTITIES[f"{self.code}.{self.head}"]["title"]

    @property
    def message_tag(self) -> str:
        return f"{self.code}Message"

    @property
    def receipt_tag(self) -> str:
        return f"{self.receipt_code}Message"


def _kind(*args, **kwargs) -> MessageKind:
    return MessageKind(*args, **kwargs)


KINDS: dict[str, MessageKind] = {k.code: k for k in (
    # --- import -------------------------------------------------------------------------------
    _kind("CEB311", "I", DocType.ORDER, "Order", "OrderHead", "OrderList", 99, "CEB312", "OrderReturn",
          ("ebpCode", "orderNo"), ("ebpCode", "ebcCode", "orderNo"), ORDER_ROLES, -301010,
          declarant_fields=("ebpCode", "ebcCode")),
    _kind("CEB411", "I", DocType.PAYMENT, "Payment", "PaymentHead", None, 0, "CEB412", "PaymentReturn",
          ("payCode", "payTransactionId"), ("payCode", "payTransactionId"), PAYMENT_ROLES, -401007,
          declarant_fields=("payCode",)),
    _kind("CEB511", "I", DocType.WAYBILL, "Logistics", "LogisticsHead", None, 0, "CEB512", "LogisticsReturn",
          ("logisticsCode", "logisticsNo"), ("logisticsCode", "logisticsNo"), LOGISTICS_ROLES, -504012,
          declarant_fields=("logisticsCode",)),
    _kind("CEB513", "I", DocType.WAYBILL_STATUS, "LogisticsStatus", "LogisticsStatus", None, 0, "CEB514",
          "LogisticsStatusReturn", ("logisticsCode", "logisticsNo", "logisticsStatus"),
          ("logisticsCode", "logisticsNo", "logisticsStatus"), LOGISTICS_ROLES, -513001,
          declarant_fields=("logisticsCode",)),
    _kind("CEB621", "I", DocType.INVENTORY, "Inventory", "InventoryHead", "InventoryList", 99, "CEB622",
          "InventoryReturn", ("ebpCode", "orderNo"), ("customsCode", "ebpCode", "ebcCode", "agentCode", "copNo",
                                                       "preNo", "invtNo"),
          LIST_ROLES, -621004, declarant_fields=("ebcCode", "agentCode"), signature_required=True),
    _kind("CEB623", "I", DocType.CANCEL, "InvtCancel", "InvtCancel", None, 0, "CEB624", "InvtCancelReturn",
          ("invtNo",), ("customsCode", "ebpCode", "ebcCode", "agentCode", "copNo", "preNo", "invtNo"),
          LIST_ROLES, -623001, declarant_fields=("ebcCode", "agentCode"), signature_required=True),
    _kind("CEB625", "I", DocType.REFUND, "InvtRefund", "InvtRefundHead", "InvtRefundList", 99, "CEB626",
          "InvtRefundReturn", ("invtNo",), ("customsCode", "ebpCode", "ebcCode", "agentCode", "copNo", "preNo",
                                            "invtNo"),
          LIST_ROLES, -625001, declarant_fields=("ebcCode", "agentCode"), signature_required=True),
    _kind("CEB711", "I", DocType.DELIVERY, "Delivery", "DeliveryHead", "DeliveryList", 100000, "CEB712",
          "DeliveryReturn", ("operatorCode", "copNo"), ("customsCode", "operatorCode", "copNo", "preNo", "rkdNo"),
          SITE_ROLES, -800001, declarant_fields=("operatorCode",), signature_required=True),
    # --- export -------------------------------------------------------------------------------
    _kind("CEB303", "E", DocType.ORDER, "Order", "OrderHead", "OrderList", 100, "CEB304", "OrderReturn",
          ("ebpCode", "orderNo"), ("ebpCode", "ebcCode", "orderNo"), ORDER_ROLES, -303010,
          declarant_fields=("ebpCode", "ebcCode")),
    _kind("CEB403", "E", DocType.RECEIPT, "Receipts", "Receipts", None, 0, "CEB404", "ReceiptsReturn",
          ("ebpCode", "orderNo"), ("ebpCode", "ebcCode", "orderNo", "payCode"), PAYMENT_ROLES, -403010,
          declarant_fields=("payCode",)),
    _kind("CEB505", "E", DocType.WAYBILL, "Logistics", "Logistics", None, 0, "CEB506", "LogisticsReturn",
          ("logisticsCode", "logisticsNo"), ("logisticsCode", "logisticsNo"), LOGISTICS_ROLES, -505010,
          declarant_fields=("logisticsCode",)),
    _kind("CEB507", "E", DocType.ARRIVAL, "Arrival", "ArrivalHead", "ArrivalList", 100000, "CEB508",
          "ArrivalReturn", ("operatorCode", "copNo"), ("customsCode", "operatorCode", "copNo", "preNo"),
          SITE_ROLES, -507010, declarant_fields=("operatorCode",), lines_required=False),
    _kind("CEB509", "E", DocType.DEPARTURE, "Departure", "DepartureHead", "DepartureList", 100000, "CEB510",
          "DepartureReturn", ("logisticsCode", "copNo"), ("customsCode", "logisticsCode", "copNo", "preNo"),
          LOGISTICS_ROLES, -509010, declarant_fields=("logisticsCode",)),
    _kind("CEB603", "E", DocType.INVENTORY, "Inventory", "InventoryHead", "InventoryList", 100, "CEB604",
          "InventoryReturn", ("agentCode", "copNo"), ("agentCode", "copNo", "preNo", "invtNo", "ebcCode", "ebpCode",
                                                      "orderNo", "statisticsFlag"),
          LIST_ROLES, -603004, declarant_fields=("ebcCode", "agentCode")),
    _kind("CEB605", "E", DocType.CANCEL, "InvtCancel", "InvtCancel", None, 0, "CEB606", "InvtCancelReturn",
          ("invtNo",), ("customsCode", "ebcCode", "agentCode", "copNo", "preNo", "invtNo"), LIST_ROLES, -605001,
          declarant_fields=("ebcCode", "agentCode")),
    _kind("CEB607", "E", DocType.WAYBILL_BIND, "WayBill", "WayBillHead", "WayBillList", 100000, "CEB608",
          "WayBillReturn", ("agentCode", "copNo"), ("customsCode", "agentCode", "copNo", "preNo"),
          ("broker", "logistics", "ebc", "fts"), -607010, declarant_fields=("agentCode", "logisticsCode"),
          signature_required=True),
    _kind("CEB213", "E", DocType.REFUND, "InvtRefund", "InvtRefundHead", "InvtRefundList", 100, "CEB214",
          "RefundReturn", ("invtNo", "logisticsNo"), ("customsCode", "ebpCode", "ebcCode", "agentCode",
                                                          "preNo", "invtNo"),
          LIST_ROLES, -213010, declarant_fields=("ebcCode", "agentCode")),
    _kind("CEB701", "E", DocType.SUMMARY, "SummaryApply", "SummaryApplyHead", "SummaryApplyList", 100000,
          "CEB702", "SummaryReturn", ("agentCode", "copNo"), ("agentCode", "ebcCode", "copNo", "preNo", "sumNo",
                                                              "msgSeqNo"),
          LIST_ROLES, -701010, declarant_fields=("ebcCode", "agentCode"), lines_required=False),
)}

RECEIPT_CODES = {kind.receipt_code: kind for kind in KINDS.values()}

# Enterprise codes a document may carry; every non-empty one must be a filed enterprise.
ENTERPRISE_CODE_FIELDS = ("ebpCode", "ebcCode", "payCode", "logisticsCode", "agentCode", "operatorCode")

# Personal data: encrypted at rest, masked on every screen and answer (DESIGN.md, foundation §6).
PERSONAL_FIELDS = {
    "buyerRegNo": "text", "buyerName": "name", "buyerTelephone": "mobile", "buyerIdNumber": "id_number",
    "consignee": "name", "consigneeTelephone": "mobile", "consigneeAddress": "address",
    "payerIdNumber": "id_number", "payerName": "name", "telephone": "mobile",
}

# Kinds whose document describes a trade (joined by ebpCode + orderNo), refused for change or
# deletion once the order's inventory list is declared.
ORDER_BOUND_TYPES = (DocType.ORDER, DocType.PAYMENT, DocType.WAYBILL, DocType.RECEIPT)


def kind_for(code: str) -> MessageKind | None:
    return KINDS.get((code or "").upper())
