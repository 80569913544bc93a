"""The CEB XML codec of the declaration hub: read a ``CEBnnnMessage`` into documents, write the
receipt message that answers it, the CEB900 format receipt for a message that cannot be read, and
declaration messages from dicts (tests, benchmarks, the lint page's examples).

Pure functions, no database. The structure is customs.md §1.1: a root ``{ceb}CEBnnnMessage``
(attributes guid, version) holding 1..100 business nodes, ``BaseTransfer``, 0..5
``BaseSubscribe``, 0..1 ``ExtendMessage`` and 0..1 ``ds:Signature``, in that order.

The body comes from the internet, so the parser is hardened: no DTD is loaded, no entity is
resolved, nothing is fetched, and any DOCTYPE is refused — checked on the raw prolog before
parsing (so an entity bomb is never handed to libxml2 in the usual UTF-8 case) and on the parsed
document again. ``collect_ids=False`` is deliberately NOT used: with lxml 6.1 / libxml2 2.14 it
makes libxml2 read a ``<!DOCTYPE r SYSTEM "file:///…">`` external subset despite
``load_dtd=False``; a resolver that answers every external load with nothing guards against such
surprises. Parsing is one lxml parse of the bytes and one walk over the known structure, no
XPath per field (the hub must ingest ≥ 5,000 documents/s on two cores, validation and storage
included).
"""

from __future__ import annotations

import codecs
import re
import threading
import uuid
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils import timezone
from lxml import etree

from zone_portal.core.errors import ApplicationError

from .rules import RULES, Problem
from .spec import DSIG_NAMESPACE, KINDS, MAX_DOCUMENTS_PER_MESSAGE, NAMESPACE, MessageKind
from .spec_data import ENTITIES
from .validate import Document

if TYPE_CHECKING:
    from .ingest import Outcome

DEFAULT_MAX_MESSAGE_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_DEPTH = 32
ORI_BIZ_MESSAGE_MAX_BYTES = 64 * 1024  # CEB900 oriBizMessage: enough to recognise the message
RETURN_INFO_900_MAX = 5000  # MessageReturn.returnInfo C..5000
MAX_BASE_SUBSCRIBE = 5
UNKNOWN_TYPE = "Unknown"  # CEB900 oriMessageType of a message that is not a CEB message

_NS = "{" + NAMESPACE + "}"
_NS_LEN = len(_NS)
_SIGNATURE_TAG = "{" + DSIG_NAMESPACE + "}Signature"
_MESSAGE_KINDS: dict[str, MessageKind] = {kind.message_tag: kind for kind in KINDS.values()}
_GUID_RE = re.compile(r"^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$")
_TYPE_NAME_RE = re.compile(r"^CEB\d{3}Message$")
_TYPE_SNIFF_RE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(CEB\d{3}Message)[\s>/]")
_ENCODING_RE = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]{1,40})["']""")
_XML_ILLEGAL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_UTF8_BOM = b"\xef\xbb\xbf"

# Known field tags → field names, so the hot loop neither checks nor slices each tag. Only the spec's
# names: a tag from the internet is never cached.
_FIELD_NAMES: dict[str, str] = {_NS + row[0]: row[0] for entity in ENTITIES.values() for row in entity["fields"]}

# Where each element of the root may stand (the XSD's sequence).
_STAGE_NODES, _STAGE_TRANSFER, _STAGE_SUBSCRIBE, _STAGE_EXTEND, _STAGE_SIGNATURE = range(5)


class CebFormatError(ApplicationError):
    """The message as a whole cannot be read (customs.md §1.2, CEB900: returnStatus < 0). No
    document of it is stored; the caller answers with :func:`render_ceb900`."""

    code = "ceb_format"
    http_status = 400

    def __init__(self, status: int, info_zh: str, info_en: str, ori_message_type: str = UNKNOWN_TYPE) -> None:
        super().__init__(info_zh, code="ceb_format")
        self.status = status
        self.info_zh = info_zh
        self.info_en = info_en
        self.ori_message_type = ori_message_type or UNKNOWN_TYPE

    @classmethod
    def from_rule(cls, status: int, ori_message_type: str = UNKNOWN_TYPE, **params) -> CebFormatError:
        rule = RULES[status]
        return cls(status, rule.zh.format(**params), rule.en.format(**params), ori_message_type)

    def __str__(self) -> str:
        return f"[{self.status}] {self.info_en}"


@dataclass
class ParsedMessage:
    """A CEB declaration message as read: its kind, envelope and documents in message order."""

    code: str  # "CEB311"
    kind: MessageKind
    message_guid: str
    version: str
    cop_code: str
    cop_name: str
    documents: list[Document]
    base_transfer: dict
    base_subscribe: list[dict] = field(default_factory=list)
    signature: str = ""  # the serialized ds:Signature, kept for verification (not verified here)


# --- the parser ---------------------------------------------------------------------------------

class _RefuseExternal(etree.Resolver):
    """Answers every external load (DTD, entity, XInclude) with an empty document."""

    def resolve(self, system_url, public_id, context):
        return self.resolve_string("", context)


_local = threading.local()


def _parser() -> etree.XMLParser:
    # lxml parsers must not be shared between threads; one per thread, built once.
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = etree.XMLParser(
            resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False,
            attribute_defaults=False, remove_comments=True, remove_pis=True, strip_cdata=True,
        )
        parser.resolvers.add(_RefuseExternal())
        _local.parser = parser
    return parser


@lru_cache(maxsize=8)
def _deeper_than(max_depth: int) -> etree.XPath:
    """True when some element lies deeper than ``max_depth`` (the root is depth 1): one XPath in
    C per message, not a Python walk."""
    return etree.XPath("boolean(" + "/*" * (max_depth + 1) + ")")


def _nested_fields_xpath(kind: MessageKind) -> etree.XPath:
    """True when a field of the documents, BaseTransfer or BaseSubscribe has child elements."""
    fields = f"/*/ceb:{kind.node}/*/*" if kind.head == kind.node else f"/*/ceb:{kind.node}/*/*/*"
    return etree.XPath(f"boolean({fields} | /*/ceb:BaseTransfer/*/* | /*/ceb:BaseSubscribe/*/*)",
                       namespaces={"ceb": NAMESPACE})


_NESTED_FIELDS = {kind.code: _nested_fields_xpath(kind) for kind in KINDS.values()}


def _sniff_type(body: bytes) -> str:
    """The message type named at the start of an unreadable body, for CEB900's oriMessageType."""
    match = _TYPE_SNIFF_RE.search(body[:4096])
    return match.group(1).decode("ascii") if match else UNKNOWN_TYPE


def _wide_codec(body: bytes) -> str | None:
    """The codec of a UTF-16 or UTF-32 body (by its byte-order mark or its first ``<``), else None."""
    head = body[:4]
    for prefix, codec in ((b"\xff\xfe\x00\x00", "utf-32-le"), (b"\x00\x00\xfe\xff", "utf-32-be"),
                          (b"<\x00\x00\x00", "utf-32-le"), (b"\x00\x00\x00<", "utf-32-be"),
                          (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"),
                          (b"<\x00", "utf-16-le"), (b"\x00<", "utf-16-be")):
        if head.startswith(prefix):
            return codec
    return None


def _has_doctype(body: bytes) -> bool:
    """Whether the prolog (before the root element) holds a ``<!DOCTYPE`` or any other ``<!``
    declaration, read before libxml2 sees the body. Scans the bytes of ASCII-compatible encodings
    (UTF-8, GB18030 …); a UTF-16/32 body is decoded first. The parsed document is checked again."""
    codec = _wide_codec(body)
    if codec is not None:
        text = body.decode(codec, errors="replace").lstrip("\ufeff")
        return _prolog_declares(text, " \t\r\n", "<?", "?>", "<!--", "-->", "<!")
    if body.startswith(_UTF8_BOM):
        body = body[len(_UTF8_BOM):]
    return _prolog_declares(body, b" \t\r\n", b"<?", b"?>", b"<!--", b"-->", b"<!")


def _prolog_declares(data, blanks, pi_open, pi_close, comment_open, comment_close, declaration) -> bool:
    pos, end = 0, len(data)
    while pos < end:
        while pos < end and data[pos] in blanks:
            pos += 1
        if data.startswith(pi_open, pos):
            close = data.find(pi_close, pos + 2)
            if close < 0:
                return False  # unterminated: the parser reports it as malformed
            pos = close + 2
        elif data.startswith(comment_open, pos):
            close = data.find(comment_close, pos + 4)
            if close < 0:
                return False
            pos = close + 3
        else:
            return data.startswith(declaration, pos)
    return False


def _fail(status: int, ori_type: str = UNKNOWN_TYPE, **params) -> CebFormatError:
    return CebFormatError.from_rule(status, ori_type, **params)


def parse_message(body: bytes, *, max_bytes: int | None = None, max_depth: int = DEFAULT_MAX_DEPTH) -> ParsedMessage:
    """Read a CEB declaration message. Raises :class:`CebFormatError` when the message as a whole
    cannot be accepted; problems of one document (an unknown entity, a field with elements, a
    repeated field) go to that document's ``problems`` so the rest of the message is answered.

    ``max_bytes`` defaults to ``settings.CEB_MAX_MESSAGE_BYTES`` (10 MiB), read at each call."""
    if isinstance(body, str):
        body = body.encode("utf-8")
    elif not isinstance(body, bytes):
        body = bytes(body)
    if max_bytes is None:
        max_bytes = getattr(settings, "CEB_MAX_MESSAGE_BYTES", DEFAULT_MAX_MESSAGE_BYTES)
    if len(body) > max_bytes:
        raise _fail(-900401, _sniff_type(body), max=max_bytes)
    if _has_doctype(body):
        raise _fail(-900403, _sniff_type(body))
    try:
        root = etree.fromstring(body, _parser())
    except etree.XMLSyntaxError as exc:
        message = str(exc)
        if "Excessive depth" in message:
            raise _fail(-900404, _sniff_type(body), max=max_depth) from None
        if "amplification" in message:  # entities exist only with a DTD: the same refusal
            raise _fail(-900403, _sniff_type(body)) from None
        raise _fail(-900402, _sniff_type(body), detail=message[:300]) from None
    except ValueError as exc:  # e.g. an unknown declared encoding
        raise _fail(-900402, _sniff_type(body), detail=str(exc)[:300]) from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise _fail(-900403, _sniff_type(body))
    if _deeper_than(max_depth)(root):
        raise _fail(-900404, _sniff_type(body), max=max_depth)

    tag = root.tag
    local = etree.QName(root).localname
    ori_type = local if _TYPE_NAME_RE.match(local) else UNKNOWN_TYPE
    if not tag.startswith(_NS):
        raise _fail(-900405, ori_type, element=local, namespace=NAMESPACE)
    kind = _MESSAGE_KINDS.get(local)
    if kind is None:  # includes the receipts (CEB312Message …): the hub receives declarations only
        raise _fail(-900406, ori_type, value=local[:100])
    message_guid = root.get("guid")
    if message_guid is None:
        raise _fail(-900407, ori_type, attribute="guid")
    version = root.get("version")
    if not version or len(version) > 10:
        raise _fail(-900407, ori_type, attribute="version")
    if not _GUID_RE.match(message_guid):
        raise _fail(-900408, ori_type)

    careful = _NESTED_FIELDS[kind.code](root)
    documents: list[Document] = []
    base_transfer: dict | None = None
    base_subscribe: list[dict] = []
    signature = ""
    extend_seen = False
    stage = _STAGE_NODES
    node_name = kind.node
    for child in root:
        tag = child.tag
        if tag.startswith(_NS):
            name = tag[_NS_LEN:]
        elif tag == _SIGNATURE_TAG:
            name = "Signature"
        else:
            raise _fail(-900405, ori_type, element=etree.QName(child).localname[:100], namespace=NAMESPACE)
        if name == node_name:
            if stage != _STAGE_NODES:
                raise _fail(-900413, ori_type, element=name)
            if len(documents) == MAX_DOCUMENTS_PER_MESSAGE:
                raise _fail(-900411, ori_type, max=MAX_DOCUMENTS_PER_MESSAGE)
            documents.append(_document(kind, child, len(documents), ori_type, careful))
            continue
        if name == "BaseTransfer":
            if base_transfer is not None:
                raise _fail(-900414, ori_type, element=name, max=1)
            new_stage = _STAGE_TRANSFER
            base_transfer = _fields(child, "BaseTransfer.", [], ori_type, careful)
        elif name == "BaseSubscribe":
            if len(base_subscribe) == MAX_BASE_SUBSCRIBE:
                raise _fail(-900414, ori_type, element=name, max=MAX_BASE_SUBSCRIBE)
            new_stage = _STAGE_SUBSCRIBE
            base_subscribe.append(_fields(child, "BaseSubscribe.", [], ori_type, careful))
        elif name == "ExtendMessage":
            if extend_seen:
                raise _fail(-900414, ori_type, element=name, max=1)
            new_stage, extend_seen = _STAGE_EXTEND, True
        elif name == "Signature" and tag == _SIGNATURE_TAG:
            if signature:
                raise _fail(-900414, ori_type, element="ds:Signature", max=1)
            new_stage = _STAGE_SIGNATURE
            signature = etree.tostring(child, encoding="unicode", with_tail=False)
        else:
            raise _fail(-900413, ori_type, element=name[:100])
        if new_stage < stage:
            raise _fail(-900413, ori_type, element=name)
        stage = new_stage

    if not documents:
        raise _fail(-900410, ori_type, node=node_name)
    if base_transfer is None:
        raise _fail(-900409, ori_type, element="BaseTransfer")
    cop_code = base_transfer.get("copCode", "")
    if not cop_code:
        raise _fail(-900409, ori_type, element="BaseTransfer.copCode")
    if signature:
        for doc in documents:
            doc.signature = signature
    return ParsedMessage(
        code=kind.code, kind=kind, message_guid=message_guid, version=version, cop_code=cop_code,
        cop_name=base_transfer.get("copName", ""), documents=documents, base_transfer=base_transfer,
        base_subscribe=base_subscribe, signature=signature,
    )


def _local_name(element, ori_type: str) -> str:
    tag = element.tag
    if not tag.startswith(_NS):
        raise _fail(-900405, ori_type, element=etree.QName(element).localname[:100], namespace=NAMESPACE)
    return tag[_NS_LEN:]


def _document(kind: MessageKind, node, index: int, ori_type: str, careful: bool) -> Document:
    problems: list[Problem] = []
    if kind.head == kind.node:  # flat messages: the business node is the header
        return Document(kind=kind, head=_fields(node, "head.", problems, ori_type, careful), lines=[], index=index,
                        problems=problems)
    head = None
    lines: list[dict] = []
    head_name, lines_name = kind.head, kind.lines
    for entity in node:
        name = _local_name(entity, ori_type)
        if name == lines_name:
            lines.append(_fields(entity, f"lines[{len(lines)}].", problems, ori_type, careful))
        elif name == head_name:
            if head is not None:
                raise _fail(-900412, ori_type, index=index + 1, node=kind.node, head=head_name)
            head = _fields(entity, "head.", problems, ori_type, careful)
        else:
            problems.append(Problem(-900113, name[:100]))
    if head is None:
        raise _fail(-900412, ori_type, index=index + 1, node=kind.node, head=head_name)
    return Document(kind=kind, head=head, lines=lines, index=index, problems=problems)


def _fields(entity, prefix: str, problems: list, ori_type: str, careful: bool) -> dict:
    """The entity's child elements as {local name: stripped text}; unknown names are kept (the
    validator reports them). The hot loop of the codec: one dict lookup turns a known tag into its
    field name; ``careful`` (some field of the message has child elements) takes the slow path."""
    get = _FIELD_NAMES.get
    values: dict[str, str] = {}
    if careful:
        for element in entity:
            name = get(element.tag) or _local_name(element, ori_type)
            if len(element):
                problems.append(Problem(-900415, prefix + name))
                text = ""
            else:
                text = (element.text or "").strip()
            if name in values:
                problems.append(Problem(-900416, prefix + name))
            values[name] = text
        return values
    for element in entity:
        values[get(element.tag) or _local_name(element, ori_type)] = (element.text or "").strip()
    if len(values) != len(entity):  # a field written twice
        seen = set()
        for element in entity:
            name = get(element.tag) or _local_name(element, ori_type)
            if name in seen:
                problems.append(Problem(-900416, prefix + name))
            seen.add(name)
    return values


# --- writers ------------------------------------------------------------------------------------

def _new_guid() -> str:
    return str(uuid.uuid4()).upper()


def _text(value) -> str:
    text = value if isinstance(value, str) else str(value)
    return _XML_ILLEGAL_RE.sub("\ufffd", text) if _XML_ILLEGAL_RE.search(text) else text


def _sub(parent, tag: str, value) -> None:
    etree.SubElement(parent, tag).text = _text(value)


def _serialize(root) -> bytes:
    # Written by hand: lxml's own declaration uses single quotes, which some partner parsers reject.
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + etree.tostring(root, encoding="UTF-8")


def _root(tag: str, guid: str | None, *, prefix: str | None = "ceb"):
    return etree.Element(_NS + tag, {"guid": guid or _new_guid(), "version": "1.0"}, nsmap={prefix: NAMESPACE})


def receipt_fields(kind: MessageKind) -> tuple[str, ...]:
    """The receipt entity's fields in order: the spec's where customs.md §2 has the entity
    (CEB312, 304, 622, 604, 702), else guid, the kind's receipt keys and the status triple."""
    entity = ENTITIES.get(f"{kind.receipt_code}.{kind.receipt_node}")
    if entity is not None:
        return tuple(row[0] for row in entity["fields"])
    return ("guid", *kind.receipt_keys, "returnStatus", "returnTime", "returnInfo")


_TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})


def _escaped(value) -> str:
    """A value as XML element text, as lxml writes it (&, <, > and CR escaped; characters XML
    cannot carry replaced by U+FFFD)."""
    text = _text(value)
    if "&" in text or "<" in text or ">" in text or "\r" in text:
        return text.translate(_TEXT_ESCAPES)
    return text


def render_receipts(kind: MessageKind, outcomes: list[Outcome], *, message_guid: str | None = None) -> bytes:
    """The receipt message answering ``kind`` (CEB311 → CEB312Message …): one receipt entity per
    outcome, in order; returnTime is C17 (YYYYMMDDhhmmssSSS, zone time). Written as text, byte for
    byte what lxml would serialise (``test_ceb_codec``): a tree of a hundred receipts cost more
    to build than the rest of the answer."""
    from .ingest import format_return_time  # ingest imports the models; the codec stays importable without them

    names = receipt_fields(kind)
    node = kind.receipt_node
    guid = _escaped(message_guid or _new_guid()).replace('"', "&quot;")
    parts = [f'<?xml version="1.0" encoding="UTF-8"?>\n<ceb:{kind.receipt_tag} xmlns:ceb="{NAMESPACE}" '
             f'guid="{guid}" version="1.0">']
    now = None
    for outcome in outcomes:
        parts.append(f"<ceb:{node}>")
        keys = outcome.keys or {}
        for name in names:
            if name == "guid":
                value = outcome.guid
            elif name == "returnStatus":
                value = outcome.status
            elif name == "returnTime":
                when = outcome.return_time
                if when is None:
                    now = now or timezone.now()
                    when = now
                value = format_return_time(when)
            elif name == "returnInfo":
                value = outcome.info
            else:
                value = keys.get(name, "")
            parts.append(f"<ceb:{name}>{_escaped('' if value is None else value)}</ceb:{name}>")
        parts.append(f"</ceb:{node}>")
    parts.append(f"</ceb:{kind.receipt_tag}>")
    return "".join(parts).encode("utf-8")


def _declared_encoding(body: bytes) -> str:
    """The text codec the body says it is in (BOM or XML declaration), UTF-8 when it says nothing
    usable; never a bytes-to-bytes codec such as base64."""
    wide = _wide_codec(body)
    if wide is not None:
        return wide
    match = _ENCODING_RE.match(body[:200])
    if match:
        try:
            info = codecs.lookup(match.group(1).decode("ascii"))
        except LookupError:
            return "utf-8"
        if getattr(info, "_is_text_encoding", True):
            return info.name
    return "utf-8"


def _original_text(body: bytes, limit: int = ORI_BIZ_MESSAGE_MAX_BYTES) -> str:
    """At most ``limit`` bytes of the body as text, without a broken last character; never parsed."""
    if isinstance(body, str):
        body = body.encode("utf-8")
    body = bytes(body)
    if body.startswith(_UTF8_BOM):
        body = body[len(_UTF8_BOM):]
    final = len(body) <= limit
    try:
        text = codecs.getincrementaldecoder(_declared_encoding(body))("replace").decode(body[:limit], final=final)
    except (UnicodeError, TypeError, ValueError):  # a codec without the "replace" handler
        text = codecs.getincrementaldecoder("utf-8")("replace").decode(body[:limit], final=final)
    return text.lstrip("\ufeff")


def render_ceb900(*, error: CebFormatError, body: bytes, cop_msg_id: str = "") -> bytes:
    """The CEB900 format receipt (MessageReturn) for a message refused as a whole: the error's
    status and message, the original type, and the first 64 KiB of the original body as text."""
    from .ingest import format_return_time

    root = _root("CEB900Message", None)
    node = etree.SubElement(root, _NS + "MessageReturn")
    info = f"{error.info_zh} / {error.info_en}"[:RETURN_INFO_900_MAX]
    for name, value in (
        ("guid", _new_guid()), ("returnStatus", str(error.status)), ("returnInfo", info),
        ("returnTime", format_return_time(timezone.now())), ("oriCopMsgId", (cop_msg_id or "")[:255]),
        ("oriMessageType", (error.ori_message_type or UNKNOWN_TYPE)[:15]), ("oriBizMessage", _original_text(body)),
    ):
        _sub(node, _NS + name, value)
    return _serialize(root)


def _ordered(values: dict, spec_names: tuple[str, ...]):
    for name in spec_names:
        if values.get(name) is not None:
            yield name, values[name]
    known = frozenset(spec_names)
    for name, value in values.items():
        if name not in known and value is not None:
            yield name, value


def render_message(kind: MessageKind, documents: list[tuple[dict, list[dict]]], *, cop_code: str,
                   cop_name: str = "", message_guid: str | None = None, signature_xml: str | None = None,
                   dxp_id: str = "", prefix: str | None = "ceb") -> bytes:
    """A declaration message of ``kind`` from (head, lines) dicts: fields in spec order, then any
    others in dict order; ``None`` values are left out. ``prefix=None`` writes the default
    namespace instead of ``ceb:``. ``signature_xml`` (a serialized ds:Signature) is appended as is."""
    ns = _NS
    root = _root(kind.message_tag, message_guid, prefix=prefix)
    head_names = tuple(f.name for f in kind.head_fields)
    line_names = tuple(f.name for f in kind.line_fields)
    for head, lines in documents:
        node = etree.SubElement(root, ns + kind.node)
        head_el = node if kind.head == kind.node else etree.SubElement(node, ns + kind.head)
        for name, value in _ordered(head, head_names):
            _sub(head_el, ns + name, value)
        if kind.lines:
            for line in lines or ():
                line_el = etree.SubElement(node, ns + kind.lines)
                for name, value in _ordered(line, line_names):
                    _sub(line_el, ns + name, value)
    transfer = etree.SubElement(root, ns + "BaseTransfer")
    for name, value in (("copCode", cop_code), ("copName", cop_name), ("dxpMode", "DXP"), ("dxpId", dxp_id)):
        _sub(transfer, ns + name, value)
    if signature_xml:
        root.append(etree.fromstring(signature_xml.encode("utf-8"), _parser()))
    return _serialize(root)
