"""How documents become results: in whichever order the three documents arrive, the set waits
(naming what is missing) and is reconciled when the last one commits; the list after them is
checked against the order and, when it matches, moves to ``reconciled`` with the signal sent
after the commit; the parties get a ``reconciliation.result`` event; the sweep marks sets
incomplete after the configured time and catches what the event path missed."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.utils import timezone

from filings import signals
from filings.hub.ingest import ingest, make_documents
from filings.hub.spec import KINDS
from filings.models import Declaration
from filings.reconciliation import services
from filings.reconciliation.models import (
    ReconciliationBatch,
    ReconciliationResult,
    ReconciliationResultChange,
    ReconciliationWork,
)
from tests.filings.reconciliation.conftest import (
    declared_list,
    import_order,
    import_payment,
    import_waybill,
    result_of,
)
from zone_portal.events.models import Event

pytestmark = pytest.mark.django_db
BUILDERS = {"order": import_order, "payment": import_payment, "waybill": import_waybill}


@pytest.fixture
def reconciled_signals():
    received = []

    def receiver(sender, declaration_ids, **kwargs):
        received.append(list(declaration_ids))

    signals.lists_reconciled.connect(receiver, dispatch_uid="test-lists-reconciled")
    yield received
    signals.lists_reconciled.disconnect(dispatch_uid="test-lists-reconciled")


@pytest.mark.parametrize("arrival", list(itertools.permutations(("order", "payment", "waybill"))),
                         ids=lambda a: "-".join(a))
def test_documents_in_any_order_then_the_list(cast, declare, reconcile_now, reconciled_signals, arrival):
    expected_missing = ["order", "payment", "waybill"]
    for position, doc_type in enumerate(arrival):
        declare(BUILDERS[doc_type](cast))
        reconcile_now()
        expected_missing.remove(doc_type)
        results = list(ReconciliationResult.objects.all())
        assert len(results) == 1, "one trade, one result, whatever arrived first"
        result = results[0]
        if position < 2:
            assert result.status == "pending" and result.missing == expected_missing
        else:
            assert result.status == "matched" and result.missing == []
    assert result.ebp_code == cast.platform.code  # a waybill-first set took the order's ebpCode
    assert reconciled_signals == []

    declare(declared_list(cast))
    reconcile_now()
    result = result_of()
    inventory = Declaration.objects.get(kind="CEB621")
    assert result.status == "matched" and result.inventory_id == inventory.pk
    assert inventory.list_state == "reconciled"
    assert reconciled_signals == [[inventory.pk]]
    statuses = list(ReconciliationResultChange.objects.filter(result=result).order_by("id")
                    .values_list("status", flat=True))
    # the list is a change too; a waybill's provisional set (no ebpCode yet) made way for the order's
    assert statuses[-2:] == ["matched", "matched"] and "pending" in statuses


def test_the_list_signal_goes_after_the_commit_only(cast, declare, django_capture_on_commit_callbacks,
                                                    reconciled_signals, no_drain_tasks):
    for build in (import_order, import_payment, import_waybill):
        declare(build(cast))
    declare(declared_list(cast))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.work_drain(worker="test")
    assert reconciled_signals == [] and Declaration.objects.get(kind="CEB621").list_state == "reconciled"
    for callback in callbacks:
        callback()
    assert reconciled_signals == [[Declaration.objects.get(kind="CEB621").pk]]


def test_a_mismatched_list_stays_declared_and_a_corrected_list_is_reconciled(cast, declare, reconcile_now,
                                                                              reconciled_signals):
    for build in (import_order, import_payment, import_waybill):
        declare(build(cast))
    wrong = declared_list(cast)
    wrong["lines"][0]["gname"] = "眼霜"
    declare(wrong)
    reconcile_now()
    assert result_of().status == "mismatched"
    assert Declaration.objects.get(kind="CEB621").list_state == "declared" and reconciled_signals == []
    fixed = declared_list(cast, appType="2")
    declare(fixed)
    reconcile_now()
    assert result_of().status == "matched" and reconciled_signals == [[Declaration.objects.get(kind="CEB621").pk]]


def test_each_party_gets_a_result_event(cast, declare, reconcile_now):
    for build in (import_order, import_waybill):
        declare(build(cast))
    reconcile_now()
    assert not Event.objects.filter(event_type="reconciliation.result").exists()  # waiting: no event
    declare(import_payment(cast, amountPaid="220.00"))
    reconcile_now()
    events = Event.objects.filter(event_type="reconciliation.result")
    parties = {cast.platform.org.pk, cast.ebc.org.pk, cast.payer.org.pk, cast.logistics.org.pk}
    assert set(events.values_list("organization_id", flat=True)) == parties and events.count() == 4
    payload = events.get(organization_id=cast.payer.org.pk).payload
    assert payload["direction"] == "I" and payload["ebpCode"] == cast.platform.code and payload["matched"] == []
    (item,) = payload["results"]
    assert item["orderNo"] == "ORD-0001" and item["status"] == "mismatched"
    assert item["failures"][0]["code"] == -900501
    reconcile_now()  # nothing queued: nothing new
    services.work_enqueue_declarations(list(Declaration.objects.values_list("pk", flat=True)), kick=False)
    reconcile_now()  # the same documents again: the result did not change, no new event
    assert events.count() == 4


def test_unchanged_documents_reconciled_again_change_nothing(cast, declare, reconcile_now):
    for build in (import_order, import_payment, import_waybill):
        declare(build(cast))
    reconcile_now()
    before = result_of()
    services.work_enqueue_declarations(list(Declaration.objects.values_list("pk", flat=True)), kick=False)
    reconcile_now()
    after = result_of()
    assert after.evaluations == before.evaluations + 1 and after.changed_at == before.changed_at
    assert ReconciliationResultChange.objects.filter(result=after).count() == 1


def test_deleting_the_payment_puts_the_set_back_to_waiting(cast, declare, reconcile_now):
    payment = import_payment(cast)
    for doc in (import_order(cast), payment, import_waybill(cast)):
        declare(doc)
    reconcile_now()
    declare({"kind": "CEB411", "head": dict(payment["head"], appType="3", guid=_guid())})
    reconcile_now()
    result = result_of()
    assert result.status == "pending" and result.missing == ["payment"] and result.payment_id is None


def _guid():
    from tests.filings.reconciliation.conftest import new_guid

    return new_guid()


class TestSweep:
    def test_sets_waiting_past_the_limit_become_incomplete(self, cast, declare, reconcile_now, settings):
        declare(import_order(cast))
        declare(import_payment(cast))
        reconcile_now()
        assert result_of().status == "pending"
        Declaration.objects.update(declared_at=timezone.now() - timedelta(hours=25))
        ReconciliationResult.objects.update(since=timezone.now() - timedelta(hours=25))
        outcome = services.reconciliation_sweep(kick=False)
        assert outcome.overdue == 1
        reconcile_now()
        result = result_of()
        assert result.status == "incomplete" and result.missing == ["waybill"]
        event = Event.objects.get(event_type="reconciliation.result", organization_id=cast.payer.org.pk)
        assert event.payload["results"][0]["missing"] == ["waybill"]
        # the waybill comes after all: the set is reconciled
        declare(import_waybill(cast))
        reconcile_now()
        assert result_of().status == "matched"

    def test_the_limit_is_a_setting(self, cast, declare, reconcile_now, settings):
        settings.RECONCILIATION_INCOMPLETE_AFTER = 3600
        declare(import_order(cast))
        Declaration.objects.update(declared_at=timezone.now() - timedelta(hours=2))
        reconcile_now()
        assert result_of().status == "incomplete"

    def test_documents_the_event_path_missed_are_found(self, cast, no_drain_tasks, reconcile_now):
        # declared without the hub's after-commit hooks running: nothing was queued
        for build, party in ((import_order, cast.platform), (import_payment, cast.payer),
                             (import_waybill, cast.logistics)):
            doc = build(cast)
            outcomes = ingest(make_documents(KINDS[doc["kind"]], [(doc["head"], doc.get("lines", []))]),
                              organization_id=party.org.pk)
            assert outcomes[0].accepted
        assert not ReconciliationWork.objects.exists()
        outcome = services.reconciliation_sweep(kick=False)
        assert outcome.missed == 1
        reconcile_now()
        assert result_of().status == "matched"
        # the next sweep scans the same ids once more but finds them reconciled
        assert services.reconciliation_sweep(kick=False).missed == 0

    def test_stale_claims_are_released_and_reprocessed_once(self, cast, declare, reconcile_now):
        for build in (import_order, import_payment, import_waybill):
            declare(build(cast))
        claim = services.work_claim(worker="dead-worker", limit=10)  # then the worker dies
        assert claim is not None and services.work_drain(worker="test") == (0, False)
        ReconciliationWork.objects.update(claimed_at=timezone.now() - timedelta(hours=1))
        assert services.reconciliation_sweep(kick=False).released == 1
        reconcile_now()
        result = result_of()
        assert result.status == "matched" and result.evaluations == 1
        assert ReconciliationBatch.objects.get(token=claim.token).finished_at is None  # the dead one
        assert not ReconciliationWork.objects.exists()

    def test_a_late_document_releases_a_claim_so_it_is_not_lost(self, cast, declare, reconcile_now):
        declare(import_order(cast))
        declare(import_payment(cast))
        claim = services.work_claim(worker="slow-worker", limit=10)
        declare(import_waybill(cast))  # committed after the claim: the key is queued again
        services.work_process(claim)  # the slow worker's batch skips the row it no longer owns
        assert ReconciliationWork.objects.filter(claimed_by=None).count() == 1
        reconcile_now()
        assert result_of().status == "matched"


def test_drain_kicks_one_task_for_many_documents(cast, declare, no_drain_tasks):
    for build in (import_order, import_payment, import_waybill):
        declare(build(cast))
    assert len(no_drain_tasks) == 1, "one drain task, not one per document"
    assert ReconciliationWork.objects.count() == 1


def test_backfill_by_ranges_gives_the_same_results(cast, declare, reconcile_now):
    for n in range(1, 4):
        order_no = f"ORD-{n:04d}"
        declare(import_order(cast, order_no))
        declare(import_payment(cast, order_no, amountPaid="1.00" if n == 2 else "223.20"))
        declare(import_waybill(cast, order_no))
    reconcile_now()
    queued = {r.order_no: (r.status, r.codes) for r in ReconciliationResult.objects.all()}
    ReconciliationResult.objects.all().delete()
    for lo, hi in services.order_no_ranges(size=1):
        services.reconcile_backfill(lo=lo, hi=hi)
    assert {r.order_no: (r.status, r.codes) for r in ReconciliationResult.objects.all()} == queued
    assert queued["ORD-0002"] == ("mismatched", [-900501])


def test_the_fast_path_and_the_general_statement_agree(cast, declare, reconcile_now, monkeypatch):
    """Simple sets (one document of each kind, one ebpCode) take a one-pass fast path; the general
    statement must give them the very same results."""
    from filings.reconciliation import sql

    spoils = [{}, {"payment": {"amountPaid": "1.00"}}, {"waybill": {"consigneeTelephone": "13700000000"}},
              {"payment": {"payerName": "王五"}}, {"list": True}, {"list": "gname"}]
    for n, spoil in enumerate(spoils, start=1):
        order_no = f"ORD-{n:04d}"
        declare(import_order(cast, order_no))
        declare(import_payment(cast, order_no, **spoil.get("payment", {})))
        declare(import_waybill(cast, order_no, **spoil.get("waybill", {})))
        if spoil.get("list"):
            doc = declared_list(cast, order_no)
            if spoil["list"] == "gname":
                doc["lines"][1]["gname"] = "唇膏"
            declare(doc)
    reconcile_now()
    columns = ("order_no", "status", "codes", "failures", "missing", "parties", "order_id", "payment_id",
               "waybill_id", "inventory_id")
    fast = sorted(ReconciliationResult.objects.values_list(*columns))
    assert {row[1] for row in fast} == {"matched", "mismatched"}
    ReconciliationResult.objects.all().delete()
    monkeypatch.setattr(sql, "IMPORT_COMPLEX_KEYS", "SELECT order_no FROM recon_g")
    monkeypatch.setattr(sql, "import_fast_statement", lambda: "SELECT 1")
    for lo, hi in services.order_no_ranges(size=2):
        services.reconcile_backfill(lo=lo, hi=hi)
    assert sorted(ReconciliationResult.objects.values_list(*columns)) == fast
