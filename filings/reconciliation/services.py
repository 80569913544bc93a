"""Writes of the reconciliation (三单比对): the work queue, its draining in batches, the sweep and
the back-fill by ranges.

How work flows (DESIGN.md §6–7: set-based, bounded batches, never one task per order):

1. ``work_enqueue_declarations`` — after the hub commits documents (``documents_declared``), their
   order keys go to ``ReconciliationWork`` in one ``INSERT … SELECT``; one drain task is kicked
   (at most one waiting at a time, ``kick_drain``).
2. ``work_drain`` — claim up to ``RECONCILIATION_BATCH_SIZE`` keys with a conditional UPDATE
   (``FOR UPDATE SKIP LOCKED``, ``claimed_by``/``claimed_at``, committed), then in ONE transaction:
   lock the claimed rows still ours, reconcile them (``reconcile.reconcile``), write the results,
   delete the rows, mark the batch committed. A worker killed in between leaves its claim behind
   and nothing else; a claim older than ``RECONCILIATION_CLAIM_TIMEOUT`` is released by the sweep
   and claimed by another worker — the killed batch never committed, so nothing is done twice.
3. ``reconciliation_sweep`` — periodic: release stale claims, enqueue keys of documents the
   event path missed (declaration ids since the last sweep whose key has no newer result) and of
   sets still waiting past ``RECONCILIATION_INCOMPLETE_AFTER`` (they become incomplete), kick.
4. ``reconcile_backfill`` — every order number of the hub in bounded ranges, for a first run or
   a repair, through the same ``reconcile``.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from filings.models import Declaration

from . import reconcile
from .models import ReconciliationBatch, ReconciliationResult, ReconciliationSweepState, ReconciliationWork

logger = logging.getLogger(__name__)

WORK_TABLE = ReconciliationWork._meta.db_table
RESULT_TABLE = ReconciliationResult._meta.db_table
DECLARATION_TABLE = Declaration._meta.db_table
KICK_KEY = "reconciliation:drain-kicked"
TRADE_DOC_TYPES = ["order", "payment", "receipt", "waybill", "inventory"]


def _setting(name: str, default):
    return getattr(settings, name, default)


def batch_size() -> int:
    return int(_setting("RECONCILIATION_BATCH_SIZE", 5000))


def claim_timeout() -> timedelta:
    return timedelta(seconds=float(_setting("RECONCILIATION_CLAIM_TIMEOUT", 600)))


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


# --- enqueue ---------------------------------------------------------------------------------

# The keys of the given documents; an export waybill (CEB505, no orderNo) stands for the orders
# of the lists that name it. A key already waiting stays; one claimed but not yet locked by its
# worker is released, so it is reconciled again with the documents just committed. Sorted, so
# that concurrent enqueuers take the key locks in one order.
ENQUEUE_DECLARATIONS = f"""
INSERT INTO {WORK_TABLE} AS w (direction, order_no, enqueued_at)
SELECT k.direction, k.order_no, now() FROM (
    SELECT d.direction, d.order_no FROM {DECLARATION_TABLE} d
    WHERE d.id = ANY(%(ids)s) AND d.order_no <> '' AND d.doc_type = ANY(%(types)s)
    UNION
    SELECT l.direction, l.order_no FROM {DECLARATION_TABLE} d
    JOIN {DECLARATION_TABLE} l ON l.logistics_no = d.logistics_no AND l.logistics_code = d.logistics_code
    WHERE d.id = ANY(%(ids)s) AND d.kind = 'CEB505' AND l.kind = 'CEB603' AND l.order_no <> ''
) k
ORDER BY k.order_no, k.direction
ON CONFLICT (order_no, direction) DO UPDATE
    SET enqueued_at = EXCLUDED.enqueued_at, claimed_by = NULL, claimed_at = NULL
    WHERE w.claimed_by IS NOT NULL
"""  # noqa: S608 (constant table names and SQL parts only)


def work_enqueue_declarations(declaration_ids: list[int], *, kick: bool = True) -> int:
    """Queue the order keys of these declarations for reconciliation; kick a drain. Returns how
    many keys were queued (or released from a claim)."""
    if not declaration_ids:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(ENQUEUE_DECLARATIONS, {"ids": list(declaration_ids), "types": TRADE_DOC_TYPES})
        queued = cursor.rowcount
    if kick and queued:
        transaction.on_commit(kick_drain)
    return queued


def kick_drain() -> None:
    """Send one drain task unless one is already waiting (a short-lived flag in the cache, which
    the task clears when it starts): a thousand documents a second make a few tasks, not a
    thousand. A lost flag or task costs at most the flag's lifetime; the sweep kicks as well."""
    from . import tasks

    try:
        if cache.add(KICK_KEY, "1", timeout=int(_setting("RECONCILIATION_KICK_TTL", 30))):
            tasks.reconciliation_drain.delay()
    except Exception:  # the broker or cache is down: the sweep will find the work
        logger.exception("reconciliation: could not kick the drain task")


def on_documents_declared(sender, declaration_ids=None, **kwargs) -> None:
    """Receiver of ``filings.hub.events.documents_declared`` (after the hub's commit)."""
    try:
        with transaction.atomic():
            work_enqueue_declarations(declaration_ids or [])
    except Exception:  # never fail the partner's request for this: the sweep catches up
        logger.exception("reconciliation: could not enqueue %d declarations", len(declaration_ids or []))


# --- claim and drain -------------------------------------------------------------------------

@dataclass
class Claim:
    token: str
    batch_id: int
    ids: list[int]


def work_claim(*, worker: str, limit: int, source: str = ReconciliationBatch.Source.QUEUE) -> Claim | None:
    """Claim up to ``limit`` waiting keys for ``worker`` (committed at once) and open their batch."""
    token = f"{worker}/{uuid.uuid4().hex}"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"""UPDATE {WORK_TABLE} SET claimed_by = %s, claimed_at = now()
                WHERE id IN (SELECT id FROM {WORK_TABLE} WHERE claimed_by IS NULL ORDER BY id LIMIT %s
                             FOR UPDATE SKIP LOCKED)
                RETURNING id""", [token, limit])  # noqa: S608 (table names are constants)
        ids = sorted(row[0] for row in cursor.fetchall())
        if not ids:
            return None
        batch = ReconciliationBatch.objects.create(token=token, source=source, worker=worker, keys=len(ids))
    return Claim(token=token, batch_id=batch.pk, ids=ids)


def work_process(claim: Claim) -> tuple[reconcile.Outcome, int]:
    """Reconcile a claimed batch in one transaction: the rows still ours are locked, reconciled,
    written and deleted together, the batch marked committed; signals go after the commit.
    Returns the outcome and how many keys were reconciled.

    Rows are locked with SKIP LOCKED, so the batch never waits on an enqueuer (which may be
    waiting on it). A row skipped that is still ours was only held for a moment — by another
    worker's claim statement, which locks the rows it looks at before finding them taken — and is
    released after the commit for the next claim, rather than left to the sweep."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                f"""SELECT id, direction, order_no FROM {WORK_TABLE}
                    WHERE id = ANY(%s) AND claimed_by = %s ORDER BY id FOR UPDATE SKIP LOCKED""",  # noqa: S608
                [claim.ids, claim.token])
            rows = cursor.fetchall()
        owned = [row[0] for row in rows]
        outcome = reconcile.reconcile(reconcile.Scope.of_keys((d, n) for _i, d, n in rows), batch_id=claim.batch_id)
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {WORK_TABLE} WHERE id = ANY(%s) AND claimed_by = %s",  # noqa: S608
                           [owned, claim.token])
        ReconciliationBatch.objects.filter(pk=claim.batch_id).update(
            finished_at=timezone.now(), keys=len(owned), results=outcome.results, changed=len(outcome.changed_ids))
        transaction.on_commit(outcome.send_signals)
    skipped = sorted(set(claim.ids) - set(owned))
    if skipped:
        work_release(skipped, token=claim.token)
    return outcome, len(owned)


def work_release(ids: list[int], *, token: str) -> int:
    """Give claimed rows back to the queue (only while they are still claimed under ``token``)."""
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {WORK_TABLE} SET claimed_by = NULL, claimed_at = NULL "  # noqa: S608
                       "WHERE id = ANY(%s) AND claimed_by = %s", [ids, token])
        return cursor.rowcount


def work_drain(*, worker: str | None = None, limit: int | None = None, budget_s: float | None = None,
               max_batches: int | None = None) -> tuple[int, bool]:
    """Claim and process batches until the queue is empty, ``budget_s`` seconds have passed or
    ``max_batches`` were done. Returns (keys processed, whether work may remain)."""
    worker = worker or worker_name()
    limit = limit or batch_size()
    started, done, batches = time.monotonic(), 0, 0
    while True:
        if budget_s is not None and time.monotonic() - started >= budget_s:
            return done, True
        if max_batches is not None and batches >= max_batches:
            return done, True
        claim = work_claim(worker=worker, limit=limit)
        if claim is None:
            return done, False
        _outcome, processed = work_process(claim)
        done += processed
        batches += 1


# --- sweep -----------------------------------------------------------------------------------

def work_release_stale(*, older_than: timedelta | None = None) -> int:
    """Release claims older than the claim timeout (their worker died); rows a live worker has
    locked in its batch transaction are skipped."""
    cutoff = timezone.now() - (older_than if older_than is not None else claim_timeout())
    with connection.cursor() as cursor:
        cursor.execute(
            f"""UPDATE {WORK_TABLE} SET claimed_by = NULL, claimed_at = NULL
                WHERE id IN (SELECT id FROM {WORK_TABLE} WHERE claimed_at < %s FOR UPDATE SKIP LOCKED)""",  # noqa: S608
            [cutoff])
        return cursor.rowcount


# Keys of documents in an id range whose key has no result reconciled since the document changed
# (the event path missed them: a process died between the hub's commit and the enqueue).
ENQUEUE_MISSED = f"""
INSERT INTO {WORK_TABLE} (direction, order_no, enqueued_at)
SELECT DISTINCT k.direction, k.order_no, now() FROM (
    SELECT d.direction, d.order_no, d.updated_at FROM {DECLARATION_TABLE} d
    WHERE d.id > %(lo)s AND d.id <= %(hi)s AND d.order_no <> '' AND d.doc_type = ANY(%(types)s)
    UNION ALL
    SELECT l.direction, l.order_no, d.updated_at FROM {DECLARATION_TABLE} d
    JOIN {DECLARATION_TABLE} l ON l.logistics_no = d.logistics_no AND l.logistics_code = d.logistics_code
    WHERE d.id > %(lo)s AND d.id <= %(hi)s AND d.kind = 'CEB505' AND l.kind = 'CEB603' AND l.order_no <> ''
) k
WHERE NOT EXISTS (SELECT 1 FROM {RESULT_TABLE} r WHERE r.order_no = k.order_no AND r.direction = k.direction
                  AND r.reconciled_at >= k.updated_at)
ORDER BY k.order_no, k.direction
ON CONFLICT (order_no, direction) DO NOTHING
"""  # noqa: S608 (constant table names and SQL parts only)

# Sets still waiting for documents past the limit: reconciled again, they come out incomplete.
ENQUEUE_OVERDUE = f"""
INSERT INTO {WORK_TABLE} (direction, order_no, enqueued_at)
SELECT DISTINCT direction, order_no, now() FROM {RESULT_TABLE}
WHERE status = 'pending' AND since < %(before)s
ORDER BY order_no, direction
ON CONFLICT (order_no, direction) DO NOTHING
"""  # noqa: S608 (constant table names and SQL parts only)


def work_enqueue_missed(*, lo: int, hi: int, chunk: int | None = None) -> int:
    """Queue the keys of declarations with ids in ``(lo, hi]`` that have no result reconciled
    since they changed, in id chunks of ``RECONCILIATION_SWEEP_CHUNK``."""
    chunk = chunk or int(_setting("RECONCILIATION_SWEEP_CHUNK", 200_000))
    queued = 0
    with connection.cursor() as cursor:
        for start in range(lo, hi, chunk):
            cursor.execute(ENQUEUE_MISSED, {"lo": start, "hi": min(start + chunk, hi), "types": TRADE_DOC_TYPES})
            queued += cursor.rowcount
    return queued


@dataclass
class SweepOutcome:
    released: int = 0
    missed: int = 0
    overdue: int = 0
    scanned_from: int = 0
    scanned_to: int = 0


def reconciliation_sweep(*, kick: bool = True) -> SweepOutcome:
    """The periodic safety net: release stale claims, queue what the event path missed and the
    sets overdue for the incomplete marking, then kick a drain. Idempotent; two sweeps at once
    serialize on the state row."""
    outcome = SweepOutcome()
    outcome.released = work_release_stale()
    with transaction.atomic():
        state, _created = ReconciliationSweepState.objects.select_for_update().get_or_create(pk=1)
        newest = Declaration.objects.order_by("-id").values_list("id", flat=True).first() or 0
        outcome.scanned_from, outcome.scanned_to = state.safe_from, newest
        outcome.missed = work_enqueue_missed(lo=state.safe_from, hi=newest)
        state.safe_from, state.scanned_to, state.swept_at = state.scanned_to, newest, timezone.now()
        state.save()
    with connection.cursor() as cursor:
        cursor.execute(ENQUEUE_OVERDUE, {"before": timezone.now() - reconcile.incomplete_after()})
        outcome.overdue = cursor.rowcount
    if kick and ReconciliationWork.objects.exists():
        cache.delete(KICK_KEY)
        kick_drain()
    return outcome


# --- back-fill by ranges ---------------------------------------------------------------------

def order_no_ranges(*, size: int | None = None, lo: str = "", hi: str | None = None,
                    sample_rows: int = 60_000) -> list[tuple[str, str | None]]:
    """Half-open ranges ``[lo, hi)`` (``hi`` None: unbounded) of about ``size`` orders each,
    together covering ``[lo, hi)`` (by default every order number of the hub), cut at the order
    numbers of a page sample of about ``sample_rows`` rows — sorting millions of order numbers
    would cost more than reconciling them."""
    size = size or batch_size()
    with connection.cursor() as cursor:
        cursor.execute("SELECT greatest(reltuples, 0)::bigint FROM pg_class WHERE oid = %s::regclass",
                       [DECLARATION_TABLE])
        table_rows = cursor.fetchone()[0] or 0
        percent = min(100.0, max(0.01, 100.0 * sample_rows / max(table_rows, 1)))
        upper = "AND order_no < %s" if hi is not None else ""
        cursor.execute(f"SELECT order_no FROM {DECLARATION_TABLE} TABLESAMPLE SYSTEM (%s) "  # noqa: S608
                       f"WHERE order_no <> '' AND order_no >= %s {upper} ORDER BY order_no",
                       [percent, lo] + ([hi] if hi is not None else []))
        sample = [row[0] for row in cursor.fetchall()]
    step = max(1, round(3 * size * percent / 100))  # about three documents an order
    bounds = sorted({b for b in sample[step::step] if b > lo})
    edges: list[str | None] = [lo, *bounds, hi]
    return [(edges[i], edges[i + 1]) for i in range(len(edges) - 1)]


def reconcile_backfill(*, lo: str, hi: str | None, worker: str | None = None) -> reconcile.Outcome:
    """Reconcile every set whose order number is in ``[lo, hi)`` in one transaction (a first run
    over existing documents, or a repair). Safe to repeat: the same documents give the same
    results, and a result written meanwhile by a later transaction is kept."""
    worker = worker or worker_name()
    token = f"{worker}/{uuid.uuid4().hex}"
    batch = ReconciliationBatch.objects.create(token=token, source=ReconciliationBatch.Source.RANGE, worker=worker)
    outcome = reconcile.run_in_transaction(reconcile.Scope(lo=lo, hi=hi), batch_id=batch.pk)
    ReconciliationBatch.objects.filter(pk=batch.pk).update(finished_at=timezone.now(), results=outcome.results,
                                                           changed=len(outcome.changed_ids))
    return outcome
