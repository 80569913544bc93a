"""End to end through a real Celery worker: a partner POSTs a CEB701 汇总申请单 to the hub's API,
the hub's ``documents_declared`` reaches the summary app after the commit, its task runs on the
worker, and the consignor's summary declaration appears; the lists' register rows with it."""

from __future__ import annotations

import time

import pytest

from filings.hub import authority
from filings.hub.validate import reset_code_cache
from filings.summary.models import ExemptionRecord, Summary, SummaryRun
from tests.filings.hub.conftest import Cast, file_enterprise
from tests.filings.summary.conftest import export_list
from tests.filings.summary.test_apply import apply_document
from zone_portal.codes.services import codes_load

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker_cast(transactional_db):
    """The hub's cast, committed (the worker's connection sees only committed rows)."""
    codes_load()
    reset_code_cache()
    authority.reset()
    cast = Cast(platform=file_enterprise(["ebp"], name="丙电商平台有限公司"),
                ebc=file_enterprise(["ebc"], name="丁跨境电商有限公司", customs_code="3301961Q43"),
                payer=file_enterprise(["payment"], name="戊支付有限公司"),
                logistics=file_enterprise(["logistics"], name="己物流有限公司"),
                broker=file_enterprise(["broker"], name="庚报关有限公司"))
    authority.reset()
    yield cast
    authority.reset()
    reset_code_cache()


def wait_for(predicate, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError("timed out")


def test_a_ceb701_posted_to_the_api_is_summarised_by_the_worker(celery_worker, worker_cast, signed_client):
    cast = worker_cast
    export_list(cast, "0001")
    export_list(cast, "0002", trafMode="2")
    doc = apply_document(cast, startTime="20261001000000", endTime="20261031235959", summaryFlag="2")
    response = signed_client(cast.ebc.client).post("/api/v1/filings/declarations/", data=doc)
    assert response.status_code == 201, response.json()

    run = wait_for(lambda: SummaryRun.objects.filter(trigger=SummaryRun.Trigger.APPLY).first())
    assert run.summary_count == 2 and run.list_count == 2
    assert Summary.objects.filter(organization=cast.ebc.org).count() == 2
    assert ExemptionRecord.objects.count() == 4  # the lists' lines, in the 无票免税 register
