"""Every import and export message kind, as JSON and as CEB XML: a valid document is stored and
answered with the spec's receipt (parse → store → receipt), its lint passes, and the same
document again returns the original receipt."""

from __future__ import annotations

import pytest
from lxml import etree

from filings.hub import ceb
from filings.hub.samples import sample_document
from filings.hub.spec import KINDS, NAMESPACE
from filings.models import Declaration, DeclarationVersion

NS = {"ceb": NAMESPACE}


def caller_and_codes(cast, kind_code: str):
    platform, ebc, payer, logistics = (cast.platform.code, cast.ebc.code, cast.payer.code, cast.logistics.code)
    base = {"ebpCode": platform, "ebcCode": ebc, "payCode": payer, "logisticsCode": logistics, "agentCode": ebc,
            "operatorCode": logistics}
    kind = KINDS[kind_code]
    if kind.doc_type == "order":
        return cast.platform, base
    if kind.doc_type in ("payment", "receipt"):
        return cast.payer, base
    if kind_code == "CEB607":
        return cast.logistics, {**base, "agentCode": logistics}
    if kind.doc_type in ("waybill", "waybill_status", "arrival", "departure", "delivery"):
        return cast.logistics, base
    return cast.ebc, base


@pytest.mark.django_db
@pytest.mark.parametrize("kind_code", sorted(KINDS))
def test_json_every_kind(cast, signed_client, kind_code):
    party, codes = caller_and_codes(cast, kind_code)
    doc = sample_document(kind_code, codes=codes)
    lint = signed_client(party.client).post("/api/v1/filings/lint/", data=doc).json()
    assert lint["results"][0]["errors"] == [], lint
    response = signed_client(party.client).post("/api/v1/filings/declarations/", data=doc)
    assert response.status_code == 201, response.json()
    # a kind the spec wants signed is stored (暂存, 1) until it comes with its signature
    assert response.json()["returnStatus"] == ("1" if KINDS[kind_code].signature_required else "120")
    again = signed_client(party.client).post("/api/v1/filings/declarations/", data=doc)
    assert again.status_code == 200 and again.json()["replayed"] is True
    assert Declaration.objects.filter(kind=kind_code).count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("kind_code", sorted(KINDS))
def test_ceb_xml_every_kind(cast, signed_client, kind_code):
    party, codes = caller_and_codes(cast, kind_code)
    kind = KINDS[kind_code]
    docs = [sample_document(kind_code, codes=codes, number=f"{i:04d}") for i in range(3)]
    body = ceb.render_message(kind, [(d["head"], d["lines"]) for d in docs], cop_code=party.code, cop_name="企业",
                              dxp_id="DXPENT0000000001")
    response = signed_client(party.client).post("/api/v1/ceb/", body=body, content_type="application/xml")
    assert response.status_code == 200, response.content.decode()
    assert response["Content-Type"].startswith("application/xml")
    root = etree.fromstring(response.content)
    assert root.tag == f"{{{NAMESPACE}}}{kind.receipt_tag}"
    nodes = root.findall(f"ceb:{kind.receipt_node}", NS)
    assert [n.findtext("ceb:guid", namespaces=NS) for n in nodes] == [d["head"]["guid"] for d in docs]
    expected = "1" if kind.signature_required else "120"
    assert {n.findtext("ceb:returnStatus", namespaces=NS) for n in nodes} == {expected}, response.content.decode()
    assert all(len(n.findtext("ceb:returnTime", namespaces=NS)) == 17 for n in nodes)
    stored = DeclarationVersion.objects.filter(declaration__kind=kind_code)
    assert stored.count() == 3 and {v.source for v in stored} == {"xml"}


@pytest.mark.django_db
def test_copcode_must_be_the_caller(cast, signed_client):
    doc = sample_document("CEB311", codes={"ebpCode": cast.platform.code, "ebcCode": cast.ebc.code})
    body = ceb.render_message(KINDS["CEB311"], [(doc["head"], doc["lines"])], cop_code=cast.payer.code, cop_name="企业",
                              dxp_id="DXPENT0000000001")
    response = signed_client(cast.platform.client).post("/api/v1/ceb/", body=body, content_type="application/xml")
    root = etree.fromstring(response.content)
    status = root.find("ceb:OrderReturn", NS).findtext("ceb:returnStatus", namespaces=NS)
    assert status == "-900203"
    assert Declaration.objects.count() == 0


@pytest.mark.django_db
def test_unreadable_message_gets_ceb900(cast, signed_client):
    response = signed_client(cast.platform.client).post("/api/v1/ceb/", body=b"<not-xml",
                                                       content_type="application/xml")
    assert response.status_code == 400
    root = etree.fromstring(response.content)
    assert root.tag == f"{{{NAMESPACE}}}CEB900Message"
    assert root.find("ceb:MessageReturn", NS).findtext("ceb:returnStatus", namespaces=NS).startswith("-")


@pytest.mark.django_db
def test_ceb_receipt_pull(cast, signed_client):
    doc = sample_document("CEB311", codes={"ebpCode": cast.platform.code, "ebcCode": cast.ebc.code})
    signed_client(cast.platform.client).post("/api/v1/filings/declarations/", data=doc)
    response = signed_client(cast.platform.client).get("/api/v1/ceb/receipts/", params={"kind": "CEB311"})
    root = etree.fromstring(response.content)
    assert root.tag == f"{{{NAMESPACE}}}CEB312Message"
    assert root.find("ceb:OrderReturn", NS).findtext("ceb:guid", namespaces=NS) == doc["head"]["guid"]


SIGNATURE = ('<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>'
             '<ds:SignatureMethod Algorithm="http://www.chinaport.gov.cn/2022/04/xmldsig#sm2-sm3"/>'
             '</ds:SignedInfo><ds:SignatureValue>AAAA</ds:SignatureValue>'
             '<ds:KeyInfo><ds:KeyName>0123456789</ds:KeyName></ds:KeyInfo></ds:Signature>')


@pytest.mark.django_db
def test_declared_list_needs_its_signature_which_is_kept(cast, signed_client):
    party, codes = caller_and_codes(cast, "CEB621")
    unsigned = sample_document("CEB621", codes=codes, number="0001", appStatus="2")
    response = signed_client(party.client).post("/api/v1/filings/declarations/", data=unsigned)
    assert [e["code"] for e in response.json()["errors"]] == [-900117]
    signed = sample_document("CEB621", codes=codes, number="0002", appStatus="2")
    body = ceb.render_message(KINDS["CEB621"], [(signed["head"], signed["lines"])], cop_code=party.code,
                              cop_name="企业", dxp_id="DXPENT0000000001", signature_xml=SIGNATURE)
    xml = signed_client(party.client).post("/api/v1/ceb/", body=body, content_type="application/xml")
    root = etree.fromstring(xml.content)
    assert root.find("ceb:InventoryReturn", NS).findtext("ceb:returnStatus", namespaces=NS) == "120"
    version = DeclarationVersion.objects.get(guid=signed["head"]["guid"])
    assert "SignatureValue" in version.signature


@pytest.mark.django_db
def test_base_transfer_fields_are_checked(cast, signed_client):
    doc = sample_document("CEB311", codes={"ebpCode": cast.platform.code, "ebcCode": cast.ebc.code})
    body = ceb.render_message(KINDS["CEB311"], [(doc["head"], doc["lines"])], cop_code=cast.platform.code,
                              cop_name="", dxp_id="")
    response = signed_client(cast.platform.client).post("/api/v1/ceb/", body=body, content_type="application/xml")
    info = etree.fromstring(response.content).find("ceb:OrderReturn", NS).findtext("ceb:returnInfo", namespaces=NS)
    assert "BaseTransfer.copName" in info and "BaseTransfer.dxpId" in info
