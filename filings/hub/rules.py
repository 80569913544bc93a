"""Every reason the declaration hub refuses a document: a stable code, a Chinese and an English
message, and a hint how to fix it.

Codes are the spec's negative business codes where the spec has one (customs.md §1.3, e.g.
-301010 duplicate order, -621004 list already declared, -621027 duplicate gnum); the platform's
own checks use the -9xxxxx range, which the spec leaves unused. A code never changes meaning:
partners match on it. ``docs/declaration-hub.md`` lists them for partners.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

# status values of the receipts the hub writes (customs.md §1.3)
STATUS_STORED = "1"  # 电子口岸已暂存 (appStatus 1)
STATUS_DECLARING = "2"  # 电子口岸申报中 (accepted, appStatus 2)


@dataclass(frozen=True)
class Rule:
    code: int
    zh: str
    en: str
    hint_zh: str
    hint_en: str


RULES: dict[int, Rule] = {r.code: r for r in (
    # fields
    Rule(-900101, "{field}为必填项", "{field} is required",
         "填写{field}（{type}）", "Fill in {field} ({type})"),
    Rule(-900102, "{field}长度超过{max}个字符", "{field} is longer than {max} characters",
         "缩短到{max}个字符以内", "Shorten it to at most {max} characters"),
    Rule(-900103, "{field}必须为{exact}个字符", "{field} must be exactly {exact} characters",
         "按规范填写{exact}位", "Write exactly {exact} characters as the spec says"),
    Rule(-900104, "{field}不是合法的数值（{type}）", "{field} is not a valid number ({type})",
         "使用半角数字，小数点后最多{scale}位，总位数不超过{max}", "Use digits, at most {scale} decimals, {max} digits in all"),
    Rule(-900105, "{field}的代码{value}不在{table}中", "{field} code {value} is not in the {table} table",
         "按海关参数代码表填写（/api/v1/codes/）", "Use a code from the customs code tables (/api/v1/codes/)"),
    Rule(-900106, "{field}的时间格式应为{format}", "{field} must be a date/time as {format}",
         "例如{example}", "For example {example}"),
    Rule(-900107, "{field}只能填写{allowed}", "{field} must be {allowed}",
         "按规范填写{allowed}", "Write {allowed} as the spec requires"),
    Rule(-900108, "{field}不是有效的居民身份证号码", "{field} is not a valid resident ID number",
         "核对18位身份证号码（校验码、地区码、出生日期）", "Check the 18-character ID: check digit, area code, birth date"),
    Rule(-900109, "实际支付金额不等于商品价格+运杂费+代扣税款-非现金抵扣金额（应为{expected}）",
         "acturalPaid does not equal goodsValue + freight + taxTotal - discount (expected {expected})",
         "重新计算acturalPaid", "Recompute acturalPaid"),
    Rule(-900110, "第{gnum}项总价不等于单价×数量（应为{expected}）",
         "Line {gnum}: totalPrice does not equal price x qty (expected {expected})",
         "总价 = 单价 × 数量，允许误差0.01", "totalPrice = price x qty, within 0.01"),
    Rule(-900111, "表体序号gnum应从1开始连续编号", "gnum must run 1, 2, 3 … without gaps",
         "按顺序重新编号表体", "Renumber the lines in order"),
    Rule(-900112, "{field}应为36位大写GUID", "{field} must be a 36-character upper-case GUID",
         "例如4CDE1CFD-EDED-46B1-946C-B8022E42FC94", "For example 4CDE1CFD-EDED-46B1-946C-B8022E42FC94"),
    Rule(-900113, "未知字段{field}", "Unknown field {field}",
         "删除该字段或核对拼写（区分大小写）", "Remove it or check the spelling (case-sensitive)"),
    Rule(-900114, "表体应有{min}至{max}项，实际{count}项", "The document must have {min} to {max} lines, not {count}",
         "拆分或补全表体", "Split the document or add the missing lines"),
    Rule(-900115, "{field}与{other}不匹配：{detail}", "{field} does not match {other}: {detail}",
         "按监管方式填写对应字段", "Fill the fields the customs mode requires"),
    Rule(-900116, "监管方式{mode}要求填写{field}", "Customs mode {mode} requires {field}",
         "补填{field}", "Fill in {field}"),
    Rule(-900117, "申报（appStatus=2）的{kind}必须带数字签名", "A {kind} declared with appStatus 2 must be signed",
         "加上ds:Signature节点，或以appStatus=1暂存", "Add a ds:Signature element, or store it with appStatus 1"),
    Rule(-900118, "文档格式错误：{detail}", "The document is malformed: {detail}",
         "每个文档应为对象，含head（表头）和lines（表体）", "Each document is an object with head and lines"),
    Rule(-900119, "不支持的单证类型{value}", "Unsupported document kind {value}",
         "使用CEB311、CEB411等报文类型", "Use a message kind such as CEB311 or CEB411"),
    # authorization
    Rule(-900201, "企业代码{value}（{field}）未在本平台有效备案", "Enterprise code {value} ({field}) has no effective filing",
         "该企业先在本平台完成企业备案", "The enterprise must first complete its filing on this platform"),
    Rule(-900202, "本企业未以{roles}角色备案，不能申报{kind}", "Your enterprise is not filed as {roles}; it cannot declare a {kind}",
         "办理企业备案变更，增加相应角色", "File a change adding the role to your enterprise filing"),
    Rule(-900203, "BaseTransfer.copCode（{value}）不是调用方企业", "BaseTransfer.copCode ({value}) is not the calling enterprise",
         "copCode应填写接入客户端所属企业的代码", "copCode must be the code of the enterprise the API client belongs to"),
    Rule(-900204, "表体第{gnum}项商品未备案（itemRecordNo {value}）", "Line {gnum}: goods {value} are not filed",
         "先完成商品备案，填写商品备案号", "File the goods first and use their record number"),
    Rule(-900205, "{fields}中没有调用方企业的代码", "None of {fields} is the calling enterprise",
         "以本企业身份申报本企业的单证", "Declare documents in your own enterprise's name"),
    Rule(-900206, "API客户端缺少权限范围{scope}", "The API client lacks the scope {scope}",
         "请企业管理员为该客户端授予{scope}", "Ask your enterprise admin to grant {scope} to the client"),
    # identity and order
    Rule(-900301, "同一请求中重复的单证（{field} {value}）", "The same document twice in one request ({field} {value})",
         "每个单证只发送一次", "Send each document once"),
    Rule(-900302, "要变更或删除的单证不存在", "The document to change or delete does not exist",
         "先以appType=1新增", "Declare it first with appType 1"),
    Rule(-900303, "guid {value}已用于另一单证", "guid {value} was already used for another document",
         "每次报送使用新的guid", "Use a new guid for every submission"),
    Rule(-900304, "单证已删除，不能再变更", "The document was deleted and cannot be changed",
         "以新的编号新增", "Declare a new document"),
    Rule(-900305, "清单状态为{state}，不能再变更或删除", "The list is {state}; it can no longer be changed or deleted",
         "已放行的清单请申请撤销（CEB623/605）或退货", "Cancel a released list (CEB623/605) or declare a return instead"),
    # spec codes
    Rule(-301010, "已存在相同编号的订单", "An order with this number already exists",
         "变更请使用appType=2", "To change it, send appType 2"),
    Rule(-303010, "已存在相同编号的订单", "An order with this number already exists",
         "变更请使用appType=2", "To change it, send appType 2"),
    Rule(-301011, "该订单已向海关申报清单，状态不符", "The order's inventory list is already declared",
         "清单申报后不能变更或删除订单、支付单、运单", "After the list is declared the order, payment and waybill are fixed"),
    Rule(-401007, "支付单已存在", "A payment with this transaction id already exists",
         "变更请使用appType=2", "To change it, send appType 2"),
    Rule(-403010, "收款单已存在", "A receipt for this order already exists",
         "变更请使用appType=2", "To change it, send appType 2"),
    Rule(-504012, "物流运单已存在", "A waybill with this number already exists",
         "变更请使用appType=2", "To change it, send appType 2"),
    Rule(-505010, "物流运单已存在", "A waybill with this number already exists",
         "变更请使用appType=2", "To change it, send appType 2"),
    Rule(-513001, "该运单状态已申报", "This waybill status was already declared",
         "同一状态只申报一次", "Declare each status once"),
    Rule(-621004, "清单已经申报过", "An inventory list for this order was already declared",
         "变更请使用appType=2", "To change it, send appType 2"),
    Rule(-603004, "清单已经申报过", "An inventory list with this number was already declared",
         "变更请使用appType=2", "To change it, send appType 2"),
    Rule(-621027, "表体序号gnum重复", "Duplicate gnum in the lines",
         "每项使用不同的序号", "Number each line differently"),
    Rule(-623001, "该清单已申请撤销", "A cancellation for this list was already declared",
         "等待已有申请的回执", "Wait for the receipt of the earlier request"),
    Rule(-605001, "该清单已申请撤销", "A cancellation for this list was already declared",
         "等待已有申请的回执", "Wait for the receipt of the earlier request"),
    Rule(-625001, "该清单已申请退货", "A return for this list was already declared",
         "等待已有申请的回执", "Wait for the receipt of the earlier request"),
    Rule(-213010, "该清单已申请退货", "A return for this list was already declared",
         "等待已有申请的回执", "Wait for the receipt of the earlier request"),
    Rule(-800001, "入库明细单已存在", "This warehouse-in detail was already declared",
         "变更请使用appType=2", "To change it, send appType 2"),
    Rule(-507010, "运抵单已存在", "This arrival was already declared", "变更请使用appType=2", "To change it, send appType 2"),
    Rule(-509010, "离境单已存在", "This departure was already declared", "变更请使用appType=2", "To change it, send appType 2"),
    Rule(-607010, "总分单已存在", "This master/sub waybill was already declared",
         "变更请使用appType=2", "To change it, send appType 2"),
    Rule(-701010, "汇总申请单已存在", "This summary request was already declared",
         "变更请使用appType=2", "To change it, send appType 2"),
    # clearance (filings.clearance): the retail-import limits (customs.md §4.1) and the list's life. The
    # spec's codes where it has one; the platform's own in -9006xx.
    Rule(-621005, "清单[{ref}]的购买金额{amount}超过单笔限额{limit}", "List [{ref}]: the purchase of {amount} exceeds the single-transaction limit of {limit}",
         "单次交易超过限值的商品应按一般贸易进口", "Goods above the single-transaction limit are imported as general trade"),
    Rule(-621018, "购买人已用购买额度为[{used}]，本次购买将超过年度限额[{limit}]", "The buyer has used [{used}] of the year's quota; this purchase of {amount} would exceed the annual limit of [{limit}]",
         "订购人可在平台“个人额度查询”页面查询本年度剩余额度", "The buyer can check the year's remaining quota on the platform's quota page"),
    Rule(-625014, "退货表体第{gnum}项数量{qty}超过原清单数量{original}", "Return line {gnum}: qty {qty} exceeds the original list's {original}",
         "退货数量应小于等于原清单成交数量", "Return at most the quantity of the original list"),
    Rule(-625015, "购买人年度额度恢复失败：恢复金额{amount}超过该清单已计入的{counted}", "The buyer's quota cannot be restored: {amount} is more than the {counted} this list counts",
         "核对退货数量，或联系海关", "Check the quantities returned, or contact customs"),
    Rule(-900601, "表体第{gnum}项商品编号{gcode}在{day}没有有效税率，清单暂停放行", "Line {gnum}: no rate of HS code {gcode} is in force on {day}; the list is held",
         "海关或综试区在后台补录该商品编号的税率后放行", "Customs or the zone office add the code's rates in the back office, then release the list"),
    Rule(-900602, "单件不可分割商品完税价格{amount}超过单笔限额{limit}，应按货物税率全额征收关税、增值税和消费税；平台无该商品的关税税率，清单暂停放行", "One indivisible item of {amount} exceeds the single-transaction limit of {limit} and is taxed in full at goods rates, tariff included; no tariff rate is on file, so the list is held",
         "由海关人工核定税款", "Customs assess the tax by hand"),
    Rule(-900603, "表体第{gnum}项商品{gcode}的从量消费税按计量单位{unit}计征，清单未申报该单位的数量，清单暂停放行", "Line {gnum}: the specific consumption tax of {gcode} is per unit {unit}, and the list gives no quantity in that unit; the list is held",
         "在qty1/unit1或qty2/unit2中申报该计量单位的数量", "Declare the quantity in that unit as qty1/unit1 or qty2/unit2"),
    Rule(-900604, "原清单{invtNo}不存在", "No list {invtNo} exists",
         "填写海关放行时回执中的清单编号invtNo", "Give the invtNo of the list's release receipt"),
    Rule(-900605, "原清单状态为{state}，不能{action}", "The list is {state}; it cannot be {action}",
         "只有已放行的清单可以撤销或退货", "Only a released list can be cancelled or returned"),
    Rule(-900606, "{field}与原清单不一致", "{field} differs from the original list's",
         "按原清单填写", "Write it as on the original list"),
    Rule(-900607, "已超过退货期限：清单于{released}放行，期限为放行后{days}天", "Too late for a return: the list was released on {released} and returns are accepted for {days} days",
         "超过期限的退货不能通过本平台申报", "Returns after the window cannot be declared here"),
    Rule(-900608, "退货表体第{gnum}项在原清单中不存在或商品编码不一致", "Return line {gnum} is not on the original list, or its gcode differs",
         "退货表体gnum、gcode应与原清单一致", "gnum and gcode must be those of the original list"),
    Rule(-900609, "该申请已处理，变更不予受理", "This request was already carried out; a change of it is not accepted",
         "如需再次申请，请以新的单证申报", "Declare a new request instead"),
    Rule(-900610, "退货表体第{gnum}项数量{qty}超过原清单数量{original}", "Return line {gnum}: qty {qty} exceeds the original list's {original}",
         "退货数量应小于等于原清单申报数量", "Return at most the quantity of the original list"),
    Rule(-900611, "{day}没有有效的跨境电商零售进口政策（限值与税率），清单暂停放行", "No retail-import policy (limits and tax) is in force on {day}; the list is held",
         "海关或综试区在后台补录该日期起有效的政策", "Customs or the zone office add the policy in force from that day in the back office"),
    # CEB XML message (filings/hub/ceb.py): the whole message is refused with a CEB900 receipt
    Rule(-900401, "报文大小超过{max}字节的上限", "The message is larger than the {max}-byte limit",
         "将单证分成多个报文发送", "Send the documents in several messages"),
    Rule(-900402, "报文不是格式正确的XML：{detail}", "The message is not well-formed XML: {detail}",
         "检查标签配对、特殊字符转义（&amp; &lt;）和编码（UTF-8）",
         "Check the tag pairs, the escaping of special characters (&amp; &lt;) and the encoding (UTF-8)"),
    Rule(-900403, "报文不得包含DOCTYPE或实体声明", "The message must not contain a DOCTYPE or entity declarations",
         "删除<!DOCTYPE …>声明", "Remove the <!DOCTYPE …> declaration"),
    Rule(-900404, "报文嵌套层级超过{max}层", "The message is nested deeper than {max} levels",
         "按报文规范组织节点", "Structure the message as the spec shows"),
    Rule(-900405, "元素{element}应在命名空间{namespace}中", "Element {element} must be in the namespace {namespace}",
         "使用ceb:前缀或默认命名空间（xmlns=\"http://www.chinaport.gov.cn/ceb\"）",
         "Use the ceb: prefix or the default namespace (xmlns=\"http://www.chinaport.gov.cn/ceb\")"),
    Rule(-900406, "不支持的报文类型{value}", "Unsupported message type {value}",
         "发送CEB311Message、CEB621Message等申报报文", "Send a declaration message such as CEB311Message or CEB621Message"),
    Rule(-900407, "报文根节点缺少有效的{attribute}属性", "The message root lacks a valid {attribute} attribute",
         "根节点应有guid（36位大写）和version（如1.0）属性",
         "The root needs a guid (36 upper-case characters) and a version (such as 1.0)"),
    Rule(-900408, "报文guid应为36位大写GUID", "The message guid must be a 36-character upper-case GUID",
         "例如4CDE1CFD-EDED-46B1-946C-B8022E42FC94", "For example 4CDE1CFD-EDED-46B1-946C-B8022E42FC94"),
    Rule(-900409, "报文缺少{element}", "The message lacks {element}",
         "在业务节点之后加上BaseTransfer并填写copCode", "Add BaseTransfer with copCode after the business nodes"),
    Rule(-900410, "报文中没有{node}单证", "The message contains no {node} document",
         "每个报文包含1至100个单证", "Put 1 to 100 documents in each message"),
    Rule(-900411, "报文包含的单证超过{max}个", "The message contains more than {max} documents",
         "拆分为多个报文", "Split it into several messages"),
    Rule(-900412, "第{index}个{node}应有且只有一个{head}", "{node} #{index} must contain exactly one {head}",
         "每个单证填写一个表头", "Give each document one header"),
    Rule(-900413, "元素{element}不允许出现在此处", "Element {element} is not allowed here",
         "报文的顺序为：业务节点、BaseTransfer、BaseSubscribe、ExtendMessage、ds:Signature",
         "A message holds, in this order: business nodes, BaseTransfer, BaseSubscribe, ExtendMessage, ds:Signature"),
    Rule(-900414, "元素{element}最多出现{max}次", "Element {element} may appear at most {max} times",
         "删除多余的元素", "Remove the extra elements"),
    Rule(-900415, "字段{field}不应包含子元素", "Field {field} must not contain elements",
         "字段只填写文本值", "Give the field a text value only"),
    Rule(-900416, "字段{field}重复出现", "Field {field} appears more than once",
         "每个字段只填写一次", "Write each field once"),
    # three-document reconciliation (三单比对, filings.reconciliation): not refusals of a document but the
    # rules a complete set of order, payment/receipt, waybill and list failed (customs.md §1.4)
    Rule(-900501, "支付单支付金额与订单实际支付金额不一致", "The payment's amountPaid differs from the order's acturalPaid",
         "支付金额应等于订单acturalPaid（商品价格+运杂费+代扣税款-非现金抵扣金额）",
         "amountPaid must equal the order's acturalPaid (goodsValue + freight + taxTotal - discount)"),
    Rule(-900502, "支付人证件号码与订购人证件号码不一致", "The payer's ID number differs from the buyer's",
         "订购人应为支付人本人", "The buyer must be the payer"),
    Rule(-900503, "支付人姓名与订购人姓名不一致", "The payer's name differs from the buyer's",
         "订购人应为支付人本人", "The buyer must be the payer"),
    Rule(-900504, "订单收货人姓名与运单不一致", "The order's consignee differs from the waybill's",
         "订单与运单的收货人应一致", "The order and the waybill must name the same consignee"),
    Rule(-900505, "订单收货人电话与运单不一致", "The order's consigneeTelephone differs from the waybill's",
         "订单与运单的收货人电话应一致", "The order and the waybill must give the same consignee telephone"),
    Rule(-900506, "订单收货地址与运单不一致", "The order's consigneeAddress differs from the waybill's",
         "订单与运单的收货地址应一致", "The order and the waybill must give the same consignee address"),
    Rule(-900507, "{doc}的电商平台代码与订单不一致", "The {doc}'s ebpCode differs from the order's",
         "同一订单的各单证应填写相同的ebpCode", "Every document of one order must carry the same ebpCode"),
    Rule(-900508, "清单的物流运单编号与运单不一致", "The list's logisticsCode/logisticsNo differs from the waybill's",
         "清单应填写该订单运单的物流企业代码和运单编号", "The list must name the order's waybill (logisticsCode, logisticsNo)"),
    Rule(-900509, "{doc}的币制应为人民币（142）", "The {doc}'s currency must be 142 (CNY)",
         "进口单证币制限定为142", "Import documents use currency 142 only"),
    Rule(-900510, "同一订单申报了多份{doc}", "More than one {doc} was declared for the order",
         "删除（appType=3）多余的单证", "Delete (appType 3) the extra documents"),
    Rule(-900511, "清单表体第{gnum}项与订单表体不能一一对应", "List line {gnum} has no counterpart in the order (gnum 1:1)",
         "清单表体序号应与订单表体序号一一对应", "List lines must match the order lines one to one by gnum"),
    Rule(-900512, "清单表体第{gnum}项商品名称与订单不一致", "List line {gnum}: gname differs from the order's itemName",
         "商品名称应与电子订单一致", "gname must be the order's itemName"),
    Rule(-900513, "清单表体第{gnum}项数量与订单不一致", "List line {gnum}: qty differs from the order's",
         "清单数量应与订单一致", "The list's qty must be the order's"),
    Rule(-900514, "清单表体第{gnum}项总价与订单不一致", "List line {gnum}: totalPrice differs from the order's",
         "清单总价应与订单一致", "The list's totalPrice must be the order's"),
    Rule(-900515, "清单表体第{gnum}项单价与订单不一致", "List line {gnum}: price differs from the order's",
         "清单单价应与订单一致", "The list's price must be the order's"),
    Rule(-900516, "清单商品总价合计与订单商品价格不一致", "The list's total of totalPrice differs from the order's goodsValue",
         "清单各项总价之和应等于订单goodsValue", "The list's line totals must add up to the order's goodsValue"),
    Rule(-900517, "清单表体第{gnum}项企业商品货号与订单不一致", "List line {gnum}: itemNo differs from the order's",
         "出口清单商品项应与订单商品项一一关联", "Export list items must be the order's items"),
    Rule(-900518, "清单收发货人与订单电商企业不一致", "The list's ebcCode differs from the order's",
         "出口订单的电商企业应为清单的收发货人", "The order's ebcCode must be the list's consignor (ebcCode)"),
    Rule(-900519, "收款单电商企业代码与订单不一致", "The receipt's ebcCode differs from the order's",
         "收款单与订单应填写相同的ebcCode", "The receipt and the order must carry the same ebcCode"),
    Rule(-900520, "收款单币制与订单不一致", "The receipt's currency differs from the order's",
         "收款单币制应与订单一致", "The receipt must use the order's currency"),
)}


@dataclass
class Problem:
    """One reason a document is refused, with the field it concerns ("head.orderNo",
    "lines[2].qty", "" for the whole document)."""

    code: int
    field: str = ""
    params: dict = dataclasses.field(default_factory=dict)

    def _fmt(self, template: str) -> str:
        try:
            return template.format(field=self.field, **self.params)
        except (KeyError, IndexError):
            return template

    @property
    def rule(self) -> Rule:
        return RULES[self.code]

    @property
    def message_zh(self) -> str:
        return self._fmt(self.rule.zh)

    @property
    def message_en(self) -> str:
        return self._fmt(self.rule.en)

    def as_dict(self) -> dict:
        rule = self.rule
        return {
            "code": self.code,
            "field": self.field,
            "message": self._fmt(rule.zh),
            "message_en": self._fmt(rule.en),
            "hint": self._fmt(rule.hint_zh),
            "hint_en": self._fmt(rule.hint_en),
        }


def return_info(problems: list[Problem], limit: int = 1000) -> str:
    """The receipt's ``returnInfo`` (C..1000): the Chinese messages with their fields."""
    text = "；".join(f"[{p.code}] {p.field + ': ' if p.field else ''}{p.message_zh}" for p in problems)
    return text[:limit]
