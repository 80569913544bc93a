"""Messages the CEB codec refuses as a whole, each with its stable code (rules.py -9004xx) and the
original type for CEB900 — hostile ones first: entity bombs and external entities must fail fast
and never be expanded or read."""

from __future__ import annotations

import time
import uuid

import pytest
from lxml import etree

from filings.hub import ceb
from filings.hub.spec import DSIG_NAMESPACE, KINDS, NAMESPACE

COP = "3301961Q43"
GUID = "4CDE1CFD-EDED-46B1-946C-B8022E42FC94"
ORDER = KINDS["CEB311"]


def new_guid() -> str:
    return str(uuid.uuid4()).upper()


def order_head(**fields) -> dict:
    return {"guid": new_guid(), "appType": "1", "orderNo": "ORD-1", **fields}


def valid(n: int = 1, **kwargs) -> bytes:
    return ceb.render_message(ORDER, [(order_head(), [{"gnum": "1"}]) for _ in range(n)], cop_code=COP,
                              message_guid=GUID, **kwargs)


def message(inner: str, *, root: str = "CEB311Message", attrs: str = f'guid="{GUID}" version="1.0"',
            ns: str = NAMESPACE) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<ceb:{root} {attrs} xmlns:ceb="{ns}">{inner}</ceb:{root}>'
            .encode())


ORDER_NODE = "<ceb:Order><ceb:OrderHead><ceb:guid>A</ceb:guid></ceb:OrderHead></ceb:Order>"
TRANSFER = "<ceb:BaseTransfer><ceb:copCode>3301961Q43</ceb:copCode></ceb:BaseTransfer>"


def refused(body: bytes, **kwargs) -> ceb.CebFormatError:
    with pytest.raises(ceb.CebFormatError) as caught:
        ceb.parse_message(body, **kwargs)
    error = caught.value
    assert "{" not in error.info_zh + error.info_en, "unformatted rule placeholder"
    return error


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<ceb:CEB311Message guid="4CDE1CFD-EDED-46B1-946C-B8022E42FC94" version="1.0"
    xmlns:ceb="http://www.chinaport.gov.cn/ceb"><ceb:Order><ceb:OrderHead>
  <ceb:guid>4CDE1CFD-EDED-46B1-946C-B8022E42FC95</ceb:guid><ceb:note>&lol9;</ceb:note>
</ceb:OrderHead></ceb:Order><ceb:BaseTransfer><ceb:copCode a="&lol9;">3301961Q43</ceb:copCode></ceb:BaseTransfer>
</ceb:CEB311Message>"""


# --- hostile input -----------------------------------------------------------------------------

@pytest.mark.parametrize("body", [
    BILLION_LAUGHS,
    b"\xef\xbb\xbf  <!-- a comment first -->\n<?pi before?>" + BILLION_LAUGHS.split(b"?>", 1)[1],
], ids=["plain", "bom-comment-pi-before-doctype"])
def test_billion_laughs_is_refused_fast_without_expanding(body):
    started = time.perf_counter()
    error = refused(body)
    assert time.perf_counter() - started < 1
    assert error.status == -900403
    assert error.ori_message_type == "CEB311Message"
    assert "lol" not in error.info_zh + error.info_en


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_billion_laughs_in_utf16_or_32_is_refused_fast(codec):
    body = BILLION_LAUGHS.replace(b'<?xml version="1.0"?>', f'<?xml version="1.0" encoding="{codec}"?>'.encode())
    body = body.decode().encode(codec)
    assert ceb._has_doctype(body)

    started = time.perf_counter()
    error = refused(body)

    assert time.perf_counter() - started < 1
    assert error.status == -900403


@pytest.fixture
def secret_file(tmp_path):
    path = tmp_path / "secret.txt"
    path.write_text("TOP-SECRET-MARKER")
    return path


@pytest.mark.parametrize("doctype", [
    '<!DOCTYPE ceb:CEB311Message [<!ENTITY xxe SYSTEM "{url}">]>',
    '<!DOCTYPE ceb:CEB311Message SYSTEM "{url}">',
    '<!DOCTYPE ceb:CEB311Message [<!ENTITY % p SYSTEM "{url}"> %p;]>',
    '<!DOCTYPE ceb:CEB311Message SYSTEM "file:///etc/passwd">',
], ids=["general-entity", "external-subset", "parameter-entity", "etc-passwd"])
@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_external_entities_are_refused_and_never_read(secret_file, doctype, encoding):
    prolog = doctype.format(url=secret_file.as_uri())
    text = (f'<?xml version="1.0" encoding="{encoding.upper()}"?>{prolog}'
            f'<ceb:CEB311Message guid="{GUID}" version="1.0" xmlns:ceb="{NAMESPACE}"><ceb:Order><ceb:OrderHead>'
            "<ceb:guid>x</ceb:guid><ceb:note>&xxe;</ceb:note></ceb:OrderHead></ceb:Order>"
            f"{TRANSFER}</ceb:CEB311Message>")
    if "xxe" not in prolog:
        text = text.replace("&xxe;", "")
    body = text.encode(encoding)

    error = refused(body)

    assert error.status == -900403
    assert "TOP-SECRET-MARKER" not in error.info_zh + error.info_en
    assert "root:" not in error.info_zh + error.info_en
    out = ceb.render_ceb900(error=error, body=body)
    assert b"TOP-SECRET-MARKER" not in out


def test_the_parser_itself_refuses_to_expand_a_bomb():
    """Below the prolog check: handed straight to the hardened parser, a bomb is stopped."""
    started = time.perf_counter()
    try:
        root = etree.fromstring(BILLION_LAUGHS, ceb._parser())
    except etree.XMLSyntaxError:
        pass
    else:
        assert len(etree.tostring(root)) < 10_000
    assert time.perf_counter() - started < 1


def test_the_parser_itself_neither_reads_nor_expands_external_entities(secret_file):
    """Belt and braces under the DOCTYPE refusal: even handed straight to the hardened parser, an
    external entity or subset yields nothing from the file."""
    for prolog in (f'<!DOCTYPE r [<!ENTITY xxe SYSTEM "{secret_file.as_uri()}">]>',
                   f'<!DOCTYPE r SYSTEM "{secret_file.as_uri()}">'):
        body = f'<?xml version="1.0"?>{prolog}<r>{"&xxe;" if "ENTITY" in prolog else ""}</r>'.encode()
        root = etree.fromstring(body, ceb._parser())
        assert "TOP-SECRET-MARKER" not in etree.tostring(root, encoding="unicode")
        assert "TOP-SECRET-MARKER" not in (root.xpath("string()") or "")


def test_not_well_formed():
    error = refused(valid().replace(b"</ceb:OrderHead>", b"", 1))
    assert (error.status, error.ori_message_type) == (-900402, "CEB311Message")
    assert "mismatch" in error.info_en


@pytest.mark.parametrize("body", [b"", b"   ", b"not xml at all", b"<a>&undefined;</a>", b"\x00\x01\x02"])
def test_garbage_is_not_well_formed(body):
    error = refused(body)
    assert (error.status, error.ori_message_type) == (-900402, "Unknown")


def test_over_the_size_cap_is_refused_before_parsing():
    body = valid()
    error = refused(body + b" " * 10, max_bytes=len(body))  # trailing whitespace: still well-formed
    assert (error.status, error.ori_message_type) == (-900401, "CEB311Message")
    assert str(len(body)) in error.info_en
    assert refused(b"<" * 2000, max_bytes=1000).status == -900401  # not even looked at as XML
    assert ceb.parse_message(body, max_bytes=len(body)).documents


def test_the_size_cap_comes_from_settings_at_each_call(settings):
    body = valid()
    settings.CEB_MAX_MESSAGE_BYTES = len(body) - 1
    assert refused(body).status == -900401
    settings.CEB_MAX_MESSAGE_BYTES = len(body)
    assert ceb.parse_message(body).documents


def test_the_default_size_cap_is_ten_mib(settings):
    del settings.CEB_MAX_MESSAGE_BYTES
    assert refused(b" " * (10 * 1024 * 1024 + 1)).status == -900401


def test_too_deep():
    deep = "<a>" * 40 + "</a>" * 40
    error = refused(message(ORDER_NODE + TRANSFER + f"<ceb:ExtendMessage>{deep}</ceb:ExtendMessage>"))
    assert (error.status, error.ori_message_type) == (-900404, "CEB311Message")
    assert "32" in error.info_en

    shallow = "<a>" * 20 + "</a>" * 20
    assert ceb.parse_message(message(ORDER_NODE + TRANSFER + f"<ceb:ExtendMessage>{shallow}</ceb:ExtendMessage>"))
    assert refused(message(ORDER_NODE + TRANSFER + f"<ceb:ExtendMessage>{shallow}</ceb:ExtendMessage>"),
                   max_depth=10).status == -900404


def test_deeper_than_libxml2_allows_is_too_deep_not_malformed():
    deep = "<a>" * 300 + "</a>" * 300
    started = time.perf_counter()
    error = refused(message(ORDER_NODE + TRANSFER + f"<ceb:ExtendMessage>{deep}</ceb:ExtendMessage>"))
    assert time.perf_counter() - started < 1
    assert error.status == -900404


@pytest.mark.parametrize("ns", ["http://www.chinaport.gov.cn/ceb/", "http://www.chinaport.gov.cn/CEB", ""])
def test_wrong_namespace_of_the_root(ns):
    body = valid().replace(NAMESPACE.encode(), ns.encode()) if ns else valid().replace(
        f' xmlns:ceb="{NAMESPACE}"'.encode(), b"").replace(b"ceb:", b"")
    error = refused(body)
    assert (error.status, error.ori_message_type) == (-900405, "CEB311Message")
    assert NAMESPACE in error.info_en


def test_wrong_namespace_below_the_root():
    body = message('<ceb:Order><ceb:OrderHead><guid xmlns="">A</guid></ceb:OrderHead></ceb:Order>' + TRANSFER)
    error = refused(body)
    assert error.status == -900405
    assert "guid" in error.info_en

    other = message('<o:Order xmlns:o="urn:other"/>' + ORDER_NODE + TRANSFER)
    assert refused(other).status == -900405


@pytest.mark.parametrize(("root", "ori"), [
    ("CEB312Message", "CEB312Message"),  # a receipt sent to the hub
    ("CEB900Message", "CEB900Message"),
    ("CEB816Message", "CEB816Message"),
    ("Foo", "Unknown"),
])
def test_unknown_message_type(root, ori):
    error = refused(message(ORDER_NODE + TRANSFER, root=root))
    assert (error.status, error.ori_message_type) == (-900406, ori)


@pytest.mark.parametrize(("attrs", "status"), [
    ('version="1.0"', -900407),
    (f'guid="{GUID}"', -900407),
    (f'guid="{GUID}" version=""', -900407),
    (f'guid="{GUID}" version="1.0.0.0.0.0"', -900407),
    ('guid="" version="1.0"', -900408),
    (f'guid="{GUID.lower()}" version="1.0"', -900408),
    (f'guid="{GUID}-1" version="1.0"', -900408),
    ('guid="4CDE1CFDEDED46B1946CB8022E42FC94XXXX" version="1.0"', -900408),
])
def test_root_attributes(attrs, status):
    error = refused(message(ORDER_NODE + TRANSFER, attrs=attrs))
    assert (error.status, error.ori_message_type) == (status, "CEB311Message")


def test_missing_base_transfer_or_cop_code():
    error = refused(message(ORDER_NODE))
    assert error.status == -900409
    assert "BaseTransfer" in error.info_en

    error = refused(message(ORDER_NODE + "<ceb:BaseTransfer><ceb:copCode> </ceb:copCode></ceb:BaseTransfer>"))
    assert error.status == -900409
    assert "copCode" in error.info_en


def test_no_business_node():
    error = refused(message(TRANSFER))
    assert error.status == -900410
    assert "Order" in error.info_en


def test_more_than_one_hundred_documents():
    error = refused(valid(101))
    assert (error.status, error.ori_message_type) == (-900411, "CEB311Message")


@pytest.mark.parametrize("node", [
    "<ceb:Order><ceb:OrderList><ceb:gnum>1</ceb:gnum></ceb:OrderList></ceb:Order>",
    "<ceb:Order/>",
    "<ceb:Order><ceb:OrderHead/><ceb:OrderHead/></ceb:Order>",
])
def test_a_node_needs_exactly_one_head(node):
    error = refused(message(ORDER_NODE + node + TRANSFER))
    assert error.status == -900412
    assert error.info_en == "Order #2 must contain exactly one OrderHead"


@pytest.mark.parametrize("inner", [
    TRANSFER + ORDER_NODE,  # business node after BaseTransfer
    ORDER_NODE + "<ceb:ExtendMessage/>" + TRANSFER,
    ORDER_NODE + TRANSFER + f'<ds:Signature xmlns:ds="{DSIG_NAMESPACE}"/><ceb:ExtendMessage/>',
    ORDER_NODE + "<ceb:Payment/>" + TRANSFER,  # another kind's node
    ORDER_NODE + TRANSFER + "<ceb:Signature/>",  # a signature in the wrong namespace
])
def test_elements_out_of_place(inner):
    assert refused(message(inner)).status == -900413


@pytest.mark.parametrize("inner", [
    ORDER_NODE + TRANSFER + TRANSFER,
    ORDER_NODE + TRANSFER + "<ceb:BaseSubscribe/>" * 6,
    ORDER_NODE + TRANSFER + "<ceb:ExtendMessage/>" * 2,
    ORDER_NODE + TRANSFER + f'<ds:Signature xmlns:ds="{DSIG_NAMESPACE}"><ds:SignedInfo/></ds:Signature>' * 2,
])
def test_elements_repeated_too_often(inner):
    assert refused(message(inner)).status == -900414


def test_five_base_subscribe_are_fine():
    subscribe = "<ceb:BaseSubscribe><ceb:status>RET</ceb:status></ceb:BaseSubscribe>"
    parsed = ceb.parse_message(message(ORDER_NODE + TRANSFER + subscribe * 5))
    assert parsed.base_subscribe == [{"status": "RET"}] * 5


def test_doctype_text_outside_the_prolog_is_just_text():
    body = message("<!-- <!DOCTYPE in a comment --><ceb:Order><ceb:OrderHead><ceb:guid>A</ceb:guid>"
                   "<ceb:note><![CDATA[<!DOCTYPE x [<!ENTITY y 'z'>]>]]></ceb:note></ceb:OrderHead></ceb:Order>"
                   + TRANSFER)
    body = body.replace(b"?>\n", b"?>\n<!-- <!DOCTYPE in a prolog comment -->\n", 1)

    head = ceb.parse_message(body).documents[0].head

    assert head["note"] == "<!DOCTYPE x [<!ENTITY y 'z'>]>"
