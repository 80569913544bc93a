"""Fixtures of the reconciliation tests: the hub's cast of five filed enterprises and its valid
import documents (tests/filings/hub/conftest.py), a way to declare documents the way partners do
(through the signed API, the hub's commit hooks run), and the reconciler driven by hand.

Drain tasks are not sent here (``no_drain_tasks``): these tests call ``work_drain`` themselves,
and the ones that need a real worker say so.
"""

from __future__ import annotations

import pytest

from filings.hub.samples import sample_document
from filings.reconciliation import services, tasks
from filings.reconciliation.models import ReconciliationResult
from tests.filings.hub.conftest import (  # noqa: F401 - fixtures
    cast,
    hub_codes,
    import_list,
    import_order,
    import_payment,
    import_waybill,
    new_guid,
)

URL = "/api/v1/filings/declarations/"
SIGNATURE = ('<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>'
             '<ds:SignatureMethod Algorithm="http://www.chinaport.gov.cn/2022/04/xmldsig#sm2-sm3"/>'
             '</ds:SignedInfo><ds:SignatureValue>AAAA</ds:SignatureValue>'
             '<ds:KeyInfo><ds:KeyName>0123456789</ds:KeyName></ds:KeyInfo></ds:Signature>')


def declared_list(cast, order_no: str = "ORD-0001", **head) -> dict:  # noqa: F811
    """An import list declared (appStatus 2) with its signature, as CEB621 requires."""
    doc = import_list(cast, order_no, appStatus="2", **head)
    doc["signature"] = SIGNATURE
    return doc


def export_codes(cast) -> dict:  # noqa: F811
    return {"ebpCode": cast.platform.code, "ebcCode": cast.ebc.code, "payCode": cast.payer.code,
            "logisticsCode": cast.logistics.code, "agentCode": cast.ebc.code, "ownerCode": cast.ebc.code}


def export_order(cast, order_no: str = "EXP-0001", **head) -> dict:  # noqa: F811
    doc = sample_document("CEB303", codes=export_codes(cast), number="0001")
    doc["head"].update({"orderNo": order_no, "orderType": "E", "goodsValue": "40.00", **head})
    return doc


def export_receipt(cast, order_no: str = "EXP-0001", **head) -> dict:  # noqa: F811
    doc = sample_document("CEB403", codes=export_codes(cast), number="0001")
    doc["head"].update(orderNo=order_no, payNo=f"PN-{order_no}", charge="40.00", **head)
    return doc


def export_waybill(cast, logistics_no: str = "EWB-0001", **head) -> dict:  # noqa: F811
    doc = sample_document("CEB505", codes=export_codes(cast), number="0001")
    doc["head"].update(logisticsNo=logistics_no, **head)
    return doc


def export_list(cast, order_no: str = "EXP-0001", logistics_no: str = "EWB-0001", **head) -> dict:  # noqa: F811
    doc = sample_document("CEB603", codes=export_codes(cast), number="0001")
    doc["head"].update(orderNo=order_no, logisticsNo=logistics_no, logisticsCode=cast.logistics.code,
                       copNo=f"COP-{order_no}", **head)
    return doc


SENDER = {"CEB311": "platform", "CEB411": "payer", "CEB511": "logistics", "CEB621": "ebc",
          "CEB303": "platform", "CEB403": "payer", "CEB505": "logistics", "CEB603": "ebc"}


@pytest.fixture
def no_drain_tasks(monkeypatch):
    sent = []
    monkeypatch.setattr(tasks.reconciliation_drain, "delay", lambda *a, **k: sent.append((a, k)))
    return sent


@pytest.fixture
def declare(cast, signed_client, django_capture_on_commit_callbacks, no_drain_tasks):  # noqa: F811
    """``declare(doc)``: send one document through the signed API as its natural sender, with the
    hub's after-commit hooks run (so its order key reaches the work queue). Returns the answer."""

    def send(doc, *, party=None):
        party = party or getattr(cast, SENDER[doc["kind"]])
        with django_capture_on_commit_callbacks(execute=True):
            response = signed_client(party.client).post(URL, data=doc)
        assert response.status_code in (200, 201), response.content
        return response

    return send


def drain() -> None:
    """Work the queue until it is empty, as the drain task does (signals not run)."""
    services.work_drain(worker="test")


@pytest.fixture
def reconcile_now(django_capture_on_commit_callbacks, no_drain_tasks):
    """``reconcile_now()``: work the queue until it is empty, as the drain task does, and run what
    the batches schedule after their commit (the signals). Returns the callbacks that ran."""

    def run():
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            services.work_drain(worker="test")
        return callbacks

    return run


def result_of(order_no: str = "ORD-0001", direction: str = "I") -> ReconciliationResult:
    return ReconciliationResult.objects.get(order_no=order_no, direction=direction)
