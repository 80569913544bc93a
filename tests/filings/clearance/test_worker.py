"""End to end through a real Celery worker: reconciliation's ``lists_reconciled`` reaches clearance
after the commit, its task runs on the worker and the list is released; a cancellation the hub
announces with ``documents_declared`` is carried out the same way and gives the quota back."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from filings import signals
from filings.hub.events import documents_declared
from filings.models import Declaration

from .factories import ensure_policies, ensure_rates, make_list, make_request
from .test_clear import used

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]
S = Declaration.ListState


def wait_for(predicate, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError("timed out")


def state_of(pk: int) -> str:
    return Declaration.objects.get(pk=pk).list_state


def test_a_reconciled_list_is_released_by_the_worker_and_a_cancellation_restores_the_quota(
        celery_worker, transactional_db):
    ensure_policies()
    ensure_rates()
    lists = [make_list() for _ in range(3)]
    signals.lists_reconciled.send(sender=None, declaration_ids=[d.pk for d in lists])
    wait_for(lambda: all(state_of(d.pk) == S.RELEASED for d in lists))
    assert used() == Decimal(600)

    target = Declaration.objects.get(pk=lists[0].pk)
    cancel = make_request("CEB623", target)
    documents_declared.send(sender=None, declaration_ids=[cancel.pk], organization_id=target.organization_id)
    wait_for(lambda: state_of(target.pk) == S.CANCELLED)
    assert used() == Decimal(400)
    assert Declaration.objects.get(pk=cancel.pk).return_status == "399"
