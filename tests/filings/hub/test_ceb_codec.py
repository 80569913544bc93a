"""The CEB XML codec: every declaration kind survives render → parse with either namespace style,
receipts and CEB900 have the spec's shape, and a document's own structural faults stay with
that document. Pure functions: no database."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from filings.hub import ceb
from filings.hub.ingest import Outcome
from filings.hub.rules import RULES
from filings.hub.spec import DSIG_NAMESPACE, KINDS, NAMESPACE
from filings.hub.spec_data import ENTITIES
from zone_portal.core.errors import ApplicationError

NS = "{" + NAMESPACE + "}"
COP = "3301961Q43"
C17 = re.compile(r"^\d{17}$")
SIGNATURE = (
    f'<ds:Signature xmlns:ds="{DSIG_NAMESPACE}"><ds:SignedInfo>'
    '<ds:CanonicalizationMethod Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"/>'
    '<ds:SignatureMethod Algorithm="http://www.chinaport.gov.cn/2022/04/xmldsig#sm2-sm3"/>'
    '<ds:Reference URI=""><ds:DigestMethod Algorithm="http://www.chinaport.gov.cn/2022/04/xmldsig#sm3"/>'
    "<ds:DigestValue>ZGlnZXN0</ds:DigestValue></ds:Reference></ds:SignedInfo>"
    "<ds:SignatureValue>c2lnbmF0dXJl</ds:SignatureValue>"
    "<ds:KeyInfo><ds:KeyName>01000000000000123</ds:KeyName></ds:KeyInfo></ds:Signature>"
)


def new_guid() -> str:
    return str(uuid.uuid4()).upper()


def sample(kind, n: int = 3) -> list[tuple[dict, list[dict]]]:
    """``n`` documents of ``kind`` with every spec field filled, Chinese and characters that
    need escaping included, and two lines where the kind has lines."""
    documents = []
    for i in range(n):
        head = {}
        for spec in kind.head_fields:
            if spec.name == "guid":
                head[spec.name] = new_guid()
            elif spec.name == "note":
                head[spec.name] = f'备注 <{i}> & "引号" \'单引号\''
            else:
                head[spec.name] = f"{spec.name}-{i}"
        lines = []
        for g in range(1, 3) if kind.lines else ():
            lines.append({spec.name: str(g) if spec.name == "gnum" else f"{spec.name}-{i}-{g}"
                          for spec in kind.line_fields})
        documents.append((head, lines))
    return documents


def children(element) -> list[str]:
    return [etree.QName(child).localname for child in element]


# --- round trips -------------------------------------------------------------------------------

@pytest.mark.parametrize("prefix", ["ceb", None], ids=["ceb-prefix", "default-namespace"])
@pytest.mark.parametrize("code", sorted(KINDS))
def test_every_kind_survives_render_and_parse(code, prefix):
    kind = KINDS[code]
    documents = sample(kind)
    guid = new_guid()
    body = ceb.render_message(kind, documents, cop_code=COP, cop_name="丁跨境电商有限公司", message_guid=guid,
                              dxp_id="DXPENT0000012345", prefix=prefix)

    root = etree.fromstring(body)
    assert root.tag == NS + kind.message_tag
    assert root.prefix == prefix
    message = ceb.parse_message(body)

    assert (message.code, message.kind, message.message_guid, message.version) == (code, kind, guid, "1.0")
    assert (message.cop_code, message.cop_name) == (COP, "丁跨境电商有限公司")
    assert message.base_transfer == {"copCode": COP, "copName": "丁跨境电商有限公司", "dxpMode": "DXP",
                                     "dxpId": "DXPENT0000012345"}
    assert [doc.index for doc in message.documents] == [0, 1, 2]
    for doc, (head, lines) in zip(message.documents, documents, strict=True):
        assert doc.kind is kind
        assert doc.head == head
        assert list(doc.head) == [spec.name for spec in kind.head_fields]
        assert doc.lines == lines
        assert doc.problems == []
        assert doc.signature == ""


@pytest.mark.parametrize("code", ["CEB513", "CEB623", "CEB605", "CEB403", "CEB505"])
def test_flat_kinds_write_the_fields_on_the_business_node(code):
    kind = KINDS[code]
    head, _ = sample(kind, 1)[0]
    root = etree.fromstring(ceb.render_message(kind, [(head, [])], cop_code=COP))

    node = root[0]
    assert etree.QName(node).localname == kind.node == kind.head
    assert children(node) == list(head)
    assert ceb.parse_message(etree.tostring(root)).documents[0].head == head


def test_spec_sample_style_with_any_prefix_bound_to_the_namespace():
    """What matters is the namespace, not the prefix (customs.md §1.1 sample root)."""
    body = f"""<?xml version="1.0" encoding="UTF-8"?>
<x:CEB411Message guid="4CDE1CFD-EDED-46B1-946C-B8022E42FC94" version="1.0" xmlns:x="{NAMESPACE}">
  <x:Payment>
    <x:PaymentHead>
      <x:guid> 4CDE1CFD-EDED-46B1-946C-B8022E42FC95 </x:guid>
      <x:payCode>3301961Q43</x:payCode>
      <!-- a comment between fields -->
      <x:payName><![CDATA[戊支付 & 有限公司]]></x:payName>
      <x:note/>
      <x:telephone>139<!-- inside -->00001111</x:telephone>
      <?pi ignored?>
    </x:PaymentHead>
  </x:Payment>
  <x:BaseTransfer><x:copCode>3301961Q43</x:copCode><x:copName>戊支付</x:copName><x:dxpMode>DXP</x:dxpMode>
    <x:dxpId>DXPENT0000012345</x:dxpId></x:BaseTransfer>
  <x:BaseSubscribe><x:status>ALL</x:status><x:dxpMode>DXP</x:dxpMode><x:dxpAddress>DXPENT1</x:dxpAddress>
  </x:BaseSubscribe>
  <x:ExtendMessage><anything xmlns="urn:other"><deeper/></anything></x:ExtendMessage>
</x:CEB411Message>""".encode()

    message = ceb.parse_message(body)

    assert message.code == "CEB411"
    assert message.documents[0].head == {"guid": "4CDE1CFD-EDED-46B1-946C-B8022E42FC95", "payCode": "3301961Q43",
                                         "payName": "戊支付 & 有限公司", "note": "", "telephone": "13900001111"}
    assert message.base_subscribe == [{"status": "ALL", "dxpMode": "DXP", "dxpAddress": "DXPENT1"}]


def test_fields_are_written_in_spec_order_then_the_unknown_ones():
    kind = KINDS["CEB311"]
    head, lines = sample(kind, 1)[0]
    shuffled = dict(reversed(list(head.items())))
    shuffled["extraField"] = "x"
    shuffled["appType"] = None  # left out

    root = etree.fromstring(ceb.render_message(kind, [(shuffled, [dict(reversed(list(lines[0].items())))])],
                                               cop_code=COP))

    order_head, order_line = root[0]
    assert children(order_head) == [name for name in head if name != "appType"] + ["extraField"]
    assert children(order_line) == list(lines[0])
    parsed = ceb.parse_message(etree.tostring(root)).documents[0]
    assert parsed.head["extraField"] == "x"  # kept, so the validator reports it as an unknown field
    assert "appType" not in parsed.head


def test_signature_is_kept_as_text_on_every_document():
    kind = KINDS["CEB621"]
    body = ceb.render_message(kind, sample(kind, 2), cop_code=COP, signature_xml=SIGNATURE)

    message = ceb.parse_message(body)

    assert etree.QName(etree.fromstring(body)[-1]).text == "{" + DSIG_NAMESPACE + "}Signature"
    assert message.signature.startswith("<ds:Signature")
    assert "<ds:SignatureValue>c2lnbmF0dXJl</ds:SignatureValue>" in message.signature
    assert [doc.signature for doc in message.documents] == [message.signature] * 2
    signature = etree.fromstring(message.signature.encode())  # serialized with its namespace: readable alone
    assert signature.findtext(f"{{{DSIG_NAMESPACE}}}KeyInfo/{{{DSIG_NAMESPACE}}}KeyName") == "01000000000000123"


def test_a_document_s_own_faults_stay_with_that_document():
    kind = KINDS["CEB311"]
    documents = sample(kind, 3)
    body = ceb.render_message(kind, documents, cop_code=COP).decode()
    second_guid = documents[1][0]["guid"]
    third_guid = documents[2][0]["guid"]
    body = body.replace(f"<ceb:guid>{second_guid}</ceb:guid>",
                        f"<ceb:guid>{second_guid}</ceb:guid><ceb:orderNo><ceb:x>1</ceb:x></ceb:orderNo>"
                        "<ceb:appType>2</ceb:appType>")
    body = body.replace(f"<ceb:guid>{third_guid}</ceb:guid>", f"<ceb:guid>{third_guid}</ceb:guid>", 1)
    body = body.replace("</ceb:Order>", "<ceb:OrderHeader/></ceb:Order>", 1)  # typo entity in the first one

    first, second, third = ceb.parse_message(body.encode()).documents

    assert [(p.code, p.field) for p in first.problems] == [(-900113, "OrderHeader")]
    assert sorted((p.code, p.field) for p in second.problems) == [
        (-900416, "head.appType"), (-900416, "head.orderNo"), (-900415, "head.orderNo")]
    assert third.problems == []
    for problem in first.problems + second.problems:
        assert "{" not in problem.message_zh + problem.message_en


def test_a_repeated_field_is_reported_without_the_slow_path():
    kind = KINDS["CEB411"]
    head, _ = sample(kind, 1)[0]
    body = ceb.render_message(kind, [(head, [])], cop_code=COP).decode()
    body = body.replace("</ceb:PaymentHead>", "<ceb:payCode>OTHER</ceb:payCode></ceb:PaymentHead>")

    doc = ceb.parse_message(body.encode()).documents[0]

    assert [(p.code, p.field) for p in doc.problems] == [(-900416, "head.payCode")]


def test_exactly_one_hundred_documents_are_accepted():
    kind = KINDS["CEB411"]
    message = ceb.parse_message(ceb.render_message(kind, sample(kind, 100), cop_code=COP))
    assert len(message.documents) == 100
    assert message.documents[-1].index == 99


XML_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\ufffe\uffff")
                   .filter(lambda c: c in "\t\n\r" or ord(c) >= 0x20), max_size=40)


@settings(max_examples=200, deadline=None)
@given(values=st.lists(XML_TEXT, min_size=3, max_size=3))
def test_any_text_round_trips_stripped(values):
    kind = KINDS["CEB513"]
    head = {"logisticsNo": values[0], "note": values[1], "unknownThing": values[2]}

    parsed = ceb.parse_message(ceb.render_message(kind, [(head, [])], cop_code=COP)).documents[0].head

    assert parsed == {name: value.strip() for name, value in head.items()}


# --- receipts ----------------------------------------------------------------------------------

def _outcome(kind, i: int, *, when=None, keys=None) -> Outcome:
    return Outcome(index=i, kind=kind.code, guid=new_guid(), status="-900101" if i else "120",
                   info="[-900101] head.orderNo: orderNo为必填项 <&>" if i else "新增申报成功",
                   keys=keys if keys is not None else {name: f"{name}-{i}" for name in kind.receipt_keys},
                   return_time=when)


@pytest.mark.parametrize("code", sorted(KINDS))
def test_receipts_of_every_kind(code):
    kind = KINDS[code]
    when = datetime(2026, 11, 22, 4, 5, 6, 789_123, tzinfo=UTC)  # 12:05:06.789 in Asia/Shanghai
    outcomes = [_outcome(kind, 0, when=when), _outcome(kind, 1, when=when, keys={})]
    guid = new_guid()

    body = ceb.render_receipts(kind, outcomes, message_guid=guid)

    assert body.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    root = etree.fromstring(body)
    assert root.tag == NS + kind.receipt_tag
    assert root.prefix == "ceb"
    assert (root.get("guid"), root.get("version")) == (guid, "1.0")
    entity = ENTITIES.get(f"{kind.receipt_code}.{kind.receipt_node}")
    expected = ([row[0] for row in entity["fields"]] if entity else
                ["guid", *kind.receipt_keys, "returnStatus", "returnTime", "returnInfo"])
    assert len(root) == 2
    for node, outcome in zip(root, outcomes, strict=True):
        assert node.tag == NS + kind.receipt_node
        assert children(node) == expected
        values = {etree.QName(child).localname: child.text or "" for child in node}
        assert values["guid"] == outcome.guid
        assert values["returnStatus"] == outcome.status
        assert values["returnTime"] == "20261122120506789"
        assert values["returnInfo"] == outcome.info
        for name in expected:
            if name not in ("guid", "returnStatus", "returnTime", "returnInfo"):
                assert values[name] == outcome.keys.get(name, "")


def test_receipt_field_order_follows_the_spec_entity():
    assert ceb.receipt_fields(KINDS["CEB311"]) == ("guid", "ebpCode", "ebcCode", "orderNo", "returnStatus",
                                                   "returnTime", "returnInfo")
    assert ceb.receipt_fields(KINDS["CEB621"])[:8] == ("guid", "customsCode", "ebpCode", "ebcCode", "agentCode",
                                                       "copNo", "preNo", "invtNo")
    assert ceb.receipt_fields(KINDS["CEB411"]) == ("guid", "payCode", "payTransactionId", "returnStatus",
                                                   "returnTime", "returnInfo")


def test_receipts_get_a_new_message_guid_and_the_current_time_when_none_is_given():
    kind = KINDS["CEB311"]
    root = etree.fromstring(ceb.render_receipts(kind, [_outcome(kind, 0)]))

    assert re.fullmatch(r"[0-9A-F]{8}-([0-9A-F]{4}-){3}[0-9A-F]{12}", root.get("guid"))
    assert C17.match(root[0].findtext(NS + "returnTime"))


def test_receipts_never_fail_on_text_xml_cannot_carry():
    kind = KINDS["CEB311"]
    outcome = _outcome(kind, 1)
    outcome.info = "bad \x00\x07 control"

    root = etree.fromstring(ceb.render_receipts(kind, [outcome]))

    assert root[0].findtext(NS + "returnInfo") == "bad \ufffd\ufffd control"


# --- CEB900 -----------------------------------------------------------------------------------

def _ceb900(body: bytes, **kwargs):
    with pytest.raises(ceb.CebFormatError) as caught:
        ceb.parse_message(body)
    out = ceb.render_ceb900(error=caught.value, body=body, **kwargs)
    assert out.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    root = etree.fromstring(out)
    assert root.tag == NS + "CEB900Message"
    node = root[0]
    assert node.tag == NS + "MessageReturn"
    assert children(node) == [row[0] for row in ENTITIES["CEB900.MessageReturn"]["fields"]]
    return caught.value, {etree.QName(child).localname: child.text or "" for child in node}


def test_ceb900_carries_the_original_type_and_body():
    kind = KINDS["CEB311"]
    body = ceb.render_message(kind, sample(kind, 1), cop_code=COP).replace(b"</ceb:OrderHead>", b"", 1)

    error, values = _ceb900(body, cop_msg_id="MSG-0001")

    assert error.status == -900402
    assert values["returnStatus"] == "-900402"
    assert values["oriMessageType"] == "CEB311Message"
    assert values["oriCopMsgId"] == "MSG-0001"
    assert values["oriBizMessage"] == body.decode()
    assert C17.match(values["returnTime"])
    assert error.info_zh in values["returnInfo"] and error.info_en in values["returnInfo"]
    assert re.fullmatch(r"[0-9A-F]{8}-([0-9A-F]{4}-){3}[0-9A-F]{12}", values["guid"])


def test_ceb900_of_something_that_is_not_a_ceb_message_says_unknown():
    error, values = _ceb900(b"<html><body>hello</body></html>")
    assert (error.status, values["oriMessageType"]) == (-900405, "Unknown")
    assert values["oriBizMessage"] == "<html><body>hello</body></html>"


def test_ceb900_keeps_only_the_first_64_kib_and_no_broken_character():
    body = ("<ceb:CEB311Message>" + "订单" * 40_000).encode()  # 240 KB, never closed
    _error, values = _ceb900(body)

    kept = values["oriBizMessage"]
    assert len(kept.encode()) <= ceb.ORI_BIZ_MESSAGE_MAX_BYTES
    assert len(kept.encode()) > ceb.ORI_BIZ_MESSAGE_MAX_BYTES - 4
    assert body.decode().startswith(kept)
    assert "\ufffd" not in kept


def test_ceb900_reads_a_gbk_body_as_declared_and_survives_bytes_xml_cannot_carry():
    body = '<?xml version="1.0" encoding="GBK"?><ceb:CEB311Message>订单\x01'.encode("gbk") + b"\xff\xfe"
    _error, values = _ceb900(body)

    assert values["oriBizMessage"].startswith('<?xml version="1.0" encoding="GBK"?><ceb:CEB311Message>订单')


# --- the error type ---------------------------------------------------------------------------

def test_format_errors_are_application_errors_with_rules_for_partners():
    for code in range(-900416, -900400):
        rule = RULES[code]
        assert rule.zh and rule.en and rule.hint_zh and rule.hint_en
    error = ceb.CebFormatError.from_rule(-900411, "CEB311Message", max=100)
    assert isinstance(error, ApplicationError)
    assert (error.status, error.ori_message_type) == (-900411, "CEB311Message")
    assert error.info_en == "The message contains more than 100 documents"
    assert str(error) == "[-900411] The message contains more than 100 documents"


@pytest.mark.parametrize("declared", ["base64", "rot13", "idna", "no-such-codec"])
def test_ceb900_ignores_a_declared_encoding_that_is_no_text_codec(declared):
    body = f'<?xml version="1.0" encoding="{declared}"?><ceb:CEB311Message>订单'.encode()
    _error, values = _ceb900(body)
    assert values["oriBizMessage"].endswith("<ceb:CEB311Message>订单")


def test_ceb900_reads_a_utf16_body():
    text = '<?xml version="1.0" encoding="UTF-16"?><ceb:CEB311Message>订单'
    _error, values = _ceb900(text.encode("utf-16"))
    assert values["oriBizMessage"] == text


def test_receipts_are_byte_for_byte_what_lxml_writes():
    """The receipt message is written as text: the same bytes as an lxml tree of it, escapes included."""
    kind = KINDS["CEB621"]
    when = datetime(2026, 11, 22, 4, 5, 6, 789_123, tzinfo=UTC)
    outcomes = [_outcome(kind, 0, when=when), _outcome(kind, 1, when=when, keys={"copNo": 'a&b<c>"d\'\re\tf\ng'})]
    outcomes[1].info = "bad \x00 control & <tag> 中文"
    guid = new_guid()

    root = etree.Element(NS + kind.receipt_tag, {"guid": guid, "version": "1.0"}, nsmap={"ceb": NS[1:-1]})
    for outcome in outcomes:
        node = etree.SubElement(root, NS + kind.receipt_node)
        for name in ceb.receipt_fields(kind):
            value = {"guid": outcome.guid, "returnStatus": outcome.status, "returnTime": "20261122120506789",
                     "returnInfo": outcome.info.replace("\x00", "\ufffd")}.get(name, outcome.keys.get(name, ""))
            etree.SubElement(node, NS + name).text = value
    expected = b'<?xml version="1.0" encoding="UTF-8"?>\n' + etree.tostring(root, encoding="UTF-8")

    assert ceb.render_receipts(kind, outcomes, message_guid=guid) == expected
