"""Two lists of the same buyer cleared at the same moment, on two real database connections: the
buyer-year ledger row locked FOR UPDATE makes the second wait for the first, so they cannot both slip
under the annual limit."""

from __future__ import annotations

import threading
import time
from decimal import Decimal

import pytest
from django.db import connection

from filings.clearance import quota
from filings.clearance.models import QuotaLedger
from filings.clearance.services import lists_clear
from filings.models import Declaration

from .factories import CREAM, ensure_policies, ensure_rates, line, make_list
from .test_clear import used

pytestmark = pytest.mark.django_db(transaction=True)
S = Declaration.ListState


@pytest.fixture
def committed(transactional_db):
    ensure_policies()
    ensure_rates()


def test_two_lists_of_one_buyer_at_the_same_moment_cannot_both_pass_the_annual_limit(committed, monkeypatch):
    prior = [make_list(lines=[line(1, CREAM, "2", "2500")]) for _ in range(4)]
    lists_clear(declaration_ids=[d.pk for d in prior])
    assert used() == Decimal(20000)
    first, second = (make_list(lines=[line(1, CREAM, "2", "2000")]) for _ in range(2))  # 4,000 each; 6,000 left

    entered: dict[int, float] = {}
    original = quota.quota_verdict

    def slow_verdict(**kwargs):
        entered.setdefault(threading.get_ident(), time.monotonic())
        time.sleep(0.5)  # hold the ledger row long enough for the other thread to arrive and wait
        return original(**kwargs)

    monkeypatch.setattr(quota, "quota_verdict", slow_verdict)
    barrier, errors = threading.Barrier(2), []

    def clear(pk: int) -> None:
        try:
            barrier.wait()
            lists_clear(declaration_ids=[pk])
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=clear, args=(d.pk,)) for d in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors
    states = sorted(Declaration.objects.filter(pk__in=[first.pk, second.pk]).values_list("list_state", flat=True))
    assert states == [S.REJECTED, S.RELEASED]
    rejected = Declaration.objects.get(pk__in=[first.pk, second.pk], list_state=S.REJECTED)
    assert rejected.return_status == "-621018"
    assert used() == Decimal(24000)
    assert QuotaLedger.objects.count() == 1
    # the second thread reached its verdict only after the first had held the row for its 0.5 s
    starts = sorted(entered.values())
    assert len(starts) == 2 and starts[1] - starts[0] >= 0.45
