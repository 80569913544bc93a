"""A CEB701 汇总申请单 arriving through the hub triggers the summary of its consignor's lists, with
its summaryFlag, itemNameFlag and startTime/endTime window or its list of invtNo."""

from __future__ import annotations

from datetime import datetime
from unittest import mock

import pytest

from filings.hub.samples import sample_document
from filings.summary import receivers, services
from filings.summary.models import Summary, SummaryItem, SummaryRun
from tests.filings.summary.conftest import ZONE, declare, export_list

pytestmark = pytest.mark.django_db

OTHER_OWNER = "91330100MA2B000002"


def apply_document(cast, *, number="A001", party=None, lines=None, **head):
    party = party or cast.ebc
    doc = sample_document("CEB701", codes={"ebcCode": party.code, "agentCode": party.code,
                                           "declAgentCode": party.code}, number=number, **head)
    if lines is not None:
        doc["lines"] = [{"invtNo": invt_no} for invt_no in lines]
    return doc


def declare_apply(cast, party=None, **kwargs) -> int:
    doc = apply_document(cast, party=party, **kwargs)
    return declare(party or cast.ebc, "CEB701", [(doc["head"], doc["lines"])])[0].declaration_id


def test_a_declared_ceb701_enqueues_its_processing_after_commit(cast, django_capture_on_commit_callbacks):
    with mock.patch("filings.summary.tasks.summary_apply_process.delay") as delay, \
            django_capture_on_commit_callbacks(execute=True):
        apply_id = declare_apply(cast, startTime="20261001000000", endTime="20261031235959")
        export_list(cast, "0001")  # other documents in other batches enqueue nothing
    delay.assert_called_once_with(apply_id)


def test_a_stored_but_undeclared_ceb701_is_not_processed(cast, django_capture_on_commit_callbacks):
    with mock.patch("filings.summary.tasks.summary_apply_process.delay") as delay, \
            django_capture_on_commit_callbacks(execute=True):
        apply_id = declare_apply(cast, appStatus="1", startTime="20261001000000", endTime="20261031235959")
    delay.assert_not_called()
    assert services.summary_apply_process(declaration_id=apply_id) is None


def test_the_window_takes_the_consignor_s_lists_released_in_it(cast, other_ebc):
    inside = export_list(cast, "0001", released_at=datetime(2026, 10, 31, 23, 59, 59, tzinfo=ZONE))
    export_list(cast, "0002", released_at=datetime(2026, 11, 1, 0, 0, 0, tzinfo=ZONE))  # after endTime
    export_list(cast, "0003", declarant=other_ebc, ebcCode=other_ebc.code, agentCode=other_ebc.code,
                iacCode=other_ebc.code)  # another consignor's
    apply_id = declare_apply(cast, startTime="20261001000000", endTime="20261031235959", lines=["INV-0002"])
    run = services.summary_apply_process(declaration_id=apply_id)
    assert run.trigger == SummaryRun.Trigger.APPLY and run.apply_id == apply_id and run.ebc_code == cast.ebc.code
    # with the window set the body's invtNo list is ignored (customs.md §2.2)
    assert set(SummaryItem.objects.values_list("declaration_id", flat=True)) == {inside.pk}
    summary = Summary.objects.get()
    assert (summary.decl_agent_code, summary.decl_agent_name) == (cast.ebc.code, "DECLA001")


def test_without_a_window_the_listed_invt_nos_are_taken(cast):
    listed = export_list(cast, "0001")
    export_list(cast, "0002")
    apply_id = declare_apply(cast, startTime="", endTime="", lines=["INV-0001"])
    run = services.summary_apply_process(declaration_id=apply_id)
    assert run.invt_nos == ["INV-0001"]
    assert set(SummaryItem.objects.values_list("declaration_id", flat=True)) == {listed.pk}


def test_its_summary_flag_and_item_name_flag_are_honoured(cast):
    export_list(cast, "0001", lines=[{"itemName": "玫瑰面霜"}])
    export_list(cast, "0002", ownerCode=OTHER_OWNER, lines=[{"itemName": "茉莉面霜"}])
    apply_id = declare_apply(cast, startTime="20261001000000", endTime="20261031235959", summaryFlag="1",
                             itemNameFlag="1")
    run = services.summary_apply_process(declaration_id=apply_id)
    assert (run.summary_flag, run.item_name_flag) == ("1", "1")
    summary = Summary.objects.get()  # owners differ, but summaryFlag 1 groups by consignor only
    assert summary.list_count == 2
    assert sorted(summary.lines.values_list("item_name", flat=True)) == ["玫瑰面霜", "茉莉面霜"]


def test_summary_flag_2_separates_owners(cast):
    export_list(cast, "0001")
    export_list(cast, "0002", ownerCode=OTHER_OWNER)
    # itemNameFlag is required by the hub's validator (the XSD's minOccurs), so it is always 1 here
    apply_id = declare_apply(cast, startTime="20261001000000", endTime="20261031235959", summaryFlag="2")
    services.summary_apply_process(declaration_id=apply_id)
    assert Summary.objects.count() == 2


def test_processing_a_request_twice_creates_nothing_twice(cast):
    export_list(cast, "0001")
    apply_id = declare_apply(cast, startTime="20261001000000", endTime="20261031235959")
    first = services.summary_apply_process(declaration_id=apply_id)
    again = services.summary_apply_process(declaration_id=apply_id)
    assert again.pk == first.pk
    assert (SummaryRun.objects.count(), Summary.objects.count(), SummaryItem.objects.count()) == (1, 1, 2)


def test_lists_summarised_on_request_are_not_summarised_again_by_the_monthly_job(cast):
    from datetime import date

    export_list(cast, "0001")
    apply_id = declare_apply(cast, startTime="20261001000000", endTime="20261031235959")
    services.summary_apply_process(declaration_id=apply_id)
    assert services.summary_month_run(month=date(2026, 10, 1)) is None
    assert Summary.objects.count() == 1


def test_the_receiver_ignores_other_documents():
    with mock.patch("filings.summary.tasks.summary_apply_process.delay") as delay:
        receivers.on_documents_declared(declaration_ids=[])
        receivers.on_documents_declared(declaration_ids=[999_999])
    delay.assert_not_called()
