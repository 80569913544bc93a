"""A worker killed in the middle of a batch loses nothing and reconciles nothing twice.

Real processes: a Celery worker (``celery -A zone_portal worker``) started as a subprocess
against this run's test database and test Redis, with a test-only setting that holds every
batch open for a few seconds. Once it has committed one batch and claimed the next, it gets
SIGKILL. Its open transaction dies with it (nothing of that batch is written) and its claim stays
behind; the sweep releases the stale claim, a second worker drains the rest. Every order ends
with exactly one result, evaluated once, with one history row; the killed batch is on record as
never committed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

from filings.models import Declaration
from filings.reconciliation import services, tasks
from filings.reconciliation.models import (
    ReconciliationBatch,
    ReconciliationResult,
    ReconciliationResultChange,
    ReconciliationWork,
)
from tests.accounts.factories import OrganizationFactory
from tests.fixtures.celery import SESSION_TAG, test_broker_url

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[3]
ORDERS = 20
BATCH = 5
QUEUE = f"{SESSION_TAG}-reconciliation-kill"


def database_url() -> str:
    s = connection.settings_dict
    auth = quote(s["USER"] or "") + (f":{quote(s['PASSWORD'])}" if s.get("PASSWORD") else "")
    # make test's project-local PostgreSQL is named by ``?host=<socket directory>``, which
    # django-environ keeps in OPTIONS, not in HOST
    host = s["HOST"] or s.get("OPTIONS", {}).get("host") or "localhost"
    if host.startswith("/"):  # a Unix socket directory
        port = f"&port={s['PORT']}" if s.get("PORT") else ""
        return f"postgres://{auth}@/{s['NAME']}?host={quote(host, safe='')}{port}"
    return f"postgres://{auth}@{host}:{s['PORT'] or 5432}/{s['NAME']}"


def start_worker(name: str, *, delay: float) -> subprocess.Popen:
    env = dict(os.environ, DATABASE_URL=database_url(), CELERY_BROKER_URL=test_broker_url(),
               CELERY_RESULT_BACKEND=test_broker_url(),
               DJANGO_SETTINGS_MODULE="tests.filings.reconciliation.worker_settings",
               RECONCILIATION_TEST_BATCH_DELAY=str(delay), RECONCILIATION_BATCH_SIZE=str(BATCH),
               TEST_WORKER_QUEUE=QUEUE, PYTHONPATH=str(ROOT))
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "zone_portal", "worker", "-Q", QUEUE, "-P", "solo", "-c", "1",
         "--without-gossip", "--without-mingle", "--without-heartbeat", "-n", f"{name}@%h", "--loglevel=WARNING"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)


def stop(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def wait_for(predicate, what: str, timeout: float = 60.0, worker: subprocess.Popen | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        if worker is not None and worker.poll() is not None:
            raise AssertionError(f"the worker exited ({worker.returncode}) while waiting for {what}: "
                                 f"{worker.stderr.read().decode(errors='replace')[-2000:]}")
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def declare_trades() -> list[int]:
    """ORDERS complete trades (order, payment, waybill that agree), stored as the hub stores them."""
    platform, payer, carrier = (OrganizationFactory(name=n) for n in ("平台", "支付", "物流"))
    rows = []
    for i in range(ORDERS):
        order_no = f"KILL-{i:04d}"
        common = dict(direction="I", app_type="1", app_status="2", order_no=order_no, currency="142",
                      return_status="120", version=1)
        rows += [
            Declaration(kind="CEB311", doc_type="order", organization=platform, business_key=f"P|{order_no}",
                        guid=f"{i:08d}-0000-0000-0000-000000000001", ebp_code="P", amount="100",
                        buyer_id_bidx="b", buyer_name_bidx="n", consignee_bidx="c", parties=[platform.pk], **common),
            Declaration(kind="CEB411", doc_type="payment", organization=payer, business_key=f"Y|{order_no}",
                        guid=f"{i:08d}-0000-0000-0000-000000000002", ebp_code="P", amount="100",
                        buyer_id_bidx="b", buyer_name_bidx="n", parties=[payer.pk], **common),
            Declaration(kind="CEB511", doc_type="waybill", organization=carrier, business_key=f"L|{order_no}",
                        guid=f"{i:08d}-0000-0000-0000-000000000003", logistics_code="L", logistics_no=f"W{i}",
                        consignee_bidx="c", parties=[carrier.pk], **common),
        ]
    return [d.pk for d in Declaration.objects.bulk_create(rows)]


def test_a_worker_killed_mid_batch_loses_nothing_and_reconciles_nothing_twice(transactional_db, settings):
    services.work_enqueue_declarations(declare_trades(), kick=False)
    assert ReconciliationWork.objects.count() == ORDERS

    first = start_worker("doomed", delay=2.5)
    try:
        tasks.reconciliation_drain.apply_async(queue=QUEUE)

        def one_committed_and_the_next_claimed():
            committed = ReconciliationBatch.objects.exclude(finished_at=None).count()
            open_batch = ReconciliationBatch.objects.filter(finished_at=None).exists()
            return committed >= 1 and open_batch and ReconciliationWork.objects.exclude(claimed_by=None).exists()

        wait_for(one_committed_and_the_next_claimed, "one batch committed and the next in progress", worker=first)
        time.sleep(0.5)  # well inside the 2.5 s batch
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        stop(first)

    committed = ReconciliationBatch.objects.exclude(finished_at=None)
    killed = ReconciliationBatch.objects.get(finished_at=None)
    assert ReconciliationResult.objects.count() == sum(b.keys for b in committed), "the killed batch wrote nothing"
    assert ReconciliationWork.objects.filter(claimed_by=killed.token).count() == killed.keys == BATCH

    # the sweep finds the dead worker's claim stale and releases it; another worker drains the rest
    settings.RECONCILIATION_CLAIM_TIMEOUT = 0
    assert services.reconciliation_sweep(kick=False).released == BATCH
    second = start_worker("survivor", delay=0)
    try:
        tasks.reconciliation_drain.apply_async(queue=QUEUE)
        wait_for(lambda: not ReconciliationWork.objects.exists(), "the queue drained", worker=second)
    finally:
        stop(second)

    results = ReconciliationResult.objects.all()
    assert results.count() == ORDERS
    assert {r.order_no for r in results} == {f"KILL-{i:04d}" for i in range(ORDERS)}
    assert all(r.status == "matched" for r in results)
    assert [r.evaluations for r in results] == [1] * ORDERS, "no order was reconciled twice"
    history = ReconciliationResultChange.objects.all()
    assert history.count() == ORDERS and len({c.result_id for c in history}) == ORDERS
    finished = ReconciliationBatch.objects.exclude(finished_at=None)
    assert sum(b.keys for b in finished) == ORDERS and {c.batch_id for c in history} <= {b.pk for b in finished}
    assert killed.pk not in {c.batch_id for c in history}
    assert ReconciliationBatch.objects.get(pk=killed.pk).finished_at is None


def test_a_claimed_row_another_claim_held_for_a_moment_is_given_back_not_stranded(transactional_db):
    """A claim statement locks the rows it looks at before it sees that another worker has them;
    the batch skips such a row rather than wait, and must give it back after its commit — found
    by the benchmark, where 1.7 % of a million keys stayed claimed until the sweep."""
    import threading

    from django.db import connections, transaction

    services.work_enqueue_declarations(declare_trades(), kick=False)
    claim = services.work_claim(worker="first", limit=ORDERS)
    held, let_go = threading.Event(), threading.Event()

    def hold_one_row():
        try:
            with transaction.atomic(), connections["default"].cursor() as cursor:
                cursor.execute("SELECT id FROM reconciliation_reconciliationwork WHERE id = %s FOR UPDATE",
                               [claim.ids[0]])
                held.set()
                let_go.wait(10)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold_one_row)
    holder.start()
    assert held.wait(10)
    threading.Timer(0.5, let_go.set).start()  # the other claim statement ends
    _outcome, processed = services.work_process(claim)
    holder.join(10)
    assert processed == ORDERS - 1
    left = ReconciliationWork.objects.get()
    assert left.pk == claim.ids[0] and left.claimed_by is None, "given back, not left claimed until the sweep"
    assert services.work_drain(worker="second") == (1, False)
    assert ReconciliationResult.objects.count() == ORDERS
    assert set(ReconciliationResult.objects.values_list("evaluations", flat=True)) == {1}
