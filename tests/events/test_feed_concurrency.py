"""The feed's cursor under real concurrent transactions: ids from a sequence commit out of order,
and a reader must never move past an event that a slower transaction commits later.

Each writer below is a real transaction on its own database connection (its own thread), held
open between steps, so commits happen in exactly the order each test states.
"""

from __future__ import annotations

import queue
import threading

import pytest
from django.db import connection, transaction

from tests.events.conftest import wait_until
from zone_portal.events import selectors, services

pytestmark = pytest.mark.django_db(transaction=True)


class OpenTransaction:
    """A transaction in a thread of its own: ``run(fn)`` executes inside it and returns the
    result; it stays open until ``commit()``."""

    _COMMIT = object()

    def __init__(self) -> None:
        self._requests: queue.Queue = queue.Queue()
        self._results: queue.Queue = queue.Queue()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        try:
            with transaction.atomic():
                while (fn := self._requests.get()) is not self._COMMIT:
                    try:
                        self._results.put((True, fn()))
                    except Exception as exc:  # handed back to the test
                        self._results.put((False, exc))
            self._results.put((True, "committed"))
        finally:
            connection.close()

    def run(self, fn):
        self._requests.put(fn)
        ok, value = self._results.get(timeout=30)
        if not ok:
            raise value
        return value

    def commit(self) -> None:
        self._requests.put(self._COMMIT)
        assert self._results.get(timeout=30) == (True, "committed")
        self._thread.join(timeout=30)


def publish_in(tx: OpenTransaction, org, label: str):
    return tx.run(lambda: services.publish("inventory.state", organization_ids=[org.pk], payload={"label": label})[0])


def own_xid():
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_xact_id()::text")
        return int(cursor.fetchone()[0])


def read_all(org, after=None) -> tuple[list[int], selectors.FeedCursor | None]:
    page = selectors.event_feed(organization_id=org.pk, after=after, limit=100)
    cursor = selectors.feed_cursor_parse(page.next_cursor) if page.next_cursor else after
    return [e.pk for e in page.events], cursor


def test_an_uncommitted_lower_id_holds_back_the_committed_higher_one(org_a):
    slow, fast = OpenTransaction(), OpenTransaction()
    try:
        e104 = publish_in(slow, org_a, "slow")  # takes the lower id, stays open
        e105 = publish_in(fast, org_a, "fast")
        fast.commit()
        assert e104.pk < e105.pk

        # 105 is committed and visible to SQL, but serving it now would let the reader's cursor
        # pass 104: the feed holds it back while the slower transaction is open.
        served, cursor = read_all(org_a)
        assert served == []
        assert cursor is None

        slow.commit()
        served = wait_until(lambda: read_all(org_a)[0] or None)
        assert served == [e104.pk, e105.pk]
    finally:
        for tx in (slow, fast):
            if tx._thread.is_alive():
                tx.commit()


def test_a_reader_never_misses_an_event_an_older_transaction_commits_after_its_cursor(org_a):
    """The case the xmin filter alone gets wrong when ordering by id: transaction T1 starts
    (takes its id) first, T2 writes the lower event id, T1 writes a higher one and commits first.
    A reader following ids would take T1's event, move its cursor past T2's lower id, and never
    see T2's event. Ordered by (transaction, id), T2's event comes after T1's."""
    t1, t2 = OpenTransaction(), OpenTransaction()
    try:
        x1 = t1.run(own_xid)
        low = publish_in(t2, org_a, "t2")  # T2's transaction id is newer, its event id lower
        x2 = t2.run(own_xid)
        high = publish_in(t1, org_a, "t1")
        t1.commit()
        assert x1 < x2 and low.pk < high.pk

        seen, cursor = wait_until(lambda: (r := read_all(org_a))[0] and r)
        assert seen == [high.pk]  # T1 has ended and is older than T2: safe to serve
        assert cursor == selectors.FeedCursor(x1, high.pk)

        t2.commit()
        more = wait_until(lambda: read_all(org_a, after=cursor)[0] or None)
        assert more == [low.pk]  # after the cursor, although its id is lower
        assert read_all(org_a)[0] == [high.pk, low.pk]  # one order for every reader, every time
    finally:
        for tx in (t1, t2):
            if tx._thread.is_alive():
                tx.commit()


def test_concurrent_bulk_writers_interleave_without_losses(org_a):
    """Several writers publish in batches while a reader pages through with its cursor; when
    they are done the reader has seen every event exactly once."""
    writers = [OpenTransaction() for _ in range(3)]
    published: list[int] = []
    seen: list[int] = []
    cursor = None
    try:
        for round_ in range(4):
            for i, tx in enumerate(writers):
                published += [e.pk for e in tx.run(lambda i=i, r=round_: [
                    *services.publish("receipt.created", organization_ids=[org_a.pk], payload={"w": i, "r": r}),
                    *services.publish("receipt.created", organization_ids=[org_a.pk], payload={"w": i, "r": r})])]
                ids, cursor = read_all(org_a, after=cursor)
                seen += ids
            writers[round_ % 3].commit()
            writers[round_ % 3] = OpenTransaction()
        for tx in writers:
            tx.commit()

        def caught_up():
            nonlocal cursor
            ids, cursor = read_all(org_a, after=cursor)
            seen.extend(ids)
            return len(seen) >= len(published)

        wait_until(caught_up)
        assert sorted(seen) == sorted(published)
        assert len(seen) == len(set(seen))
    finally:
        for tx in writers:
            if tx._thread.is_alive():
                tx.commit()
