"""The thin edges: receivers enqueue bounded batches after the commit, only for what clearance
handles; the sweep picks up lists and requests a lost message left behind."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from filings import signals
from filings.clearance import tasks
from filings.hub.events import documents_declared
from filings.models import Declaration

from .factories import make_list, make_request

pytestmark = pytest.mark.usefixtures("clearance")
S = Declaration.ListState


@pytest.fixture
def enqueued(monkeypatch):
    sent = []
    monkeypatch.setattr(tasks, "enqueue", lambda task, ids: sent.append((task.name.rsplit(".", 1)[-1], sorted(ids))))
    return sent


def test_reconciled_lists_are_enqueued_after_the_commit_in_bounded_batches(settings, enqueued,
                                                                           django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        signals.lists_reconciled.send(sender=None, declaration_ids=[3, 1, 2])
    assert enqueued == [("clearance_lists_clear", [1, 2, 3])]
    settings.CLEARANCE_BATCH_SIZE = 2
    assert tasks.chunks([5, 1, 4, 2, 3]) == [[1, 2], [3, 4], [5]]


def test_only_declared_cancellations_returns_and_departures_are_enqueued(enqueued,
                                                                        django_capture_on_commit_callbacks):
    d = make_list(state=S.RELEASED, invt_no="290020260000000001")
    cancel, stored = make_request("CEB623", d), make_request("CEB625", d, app_status="1")
    with django_capture_on_commit_callbacks(execute=True):
        documents_declared.send(sender=None, declaration_ids=[d.pk, cancel.pk, stored.pk], organization_id=1)
    assert enqueued == [("clearance_documents_process", [cancel.pk])]


def test_the_sweep_picks_up_what_was_left_behind(enqueued):
    old = timezone.now() - timedelta(hours=1)
    left = make_list(state=S.RECONCILED, declared_at=old)
    fresh = make_list(state=S.RECONCILED)
    request = make_request("CEB623", make_list(state=S.RELEASED, invt_no="290020260000000002"))
    Declaration.objects.filter(pk=request.pk).update(updated_at=old)
    assert tasks.clearance_sweep() == {"lists": 1, "documents": 1}
    assert ("clearance_lists_clear", [left.pk]) in enqueued and fresh.pk not in enqueued[0][1]
    assert ("clearance_documents_process", [request.pk]) in enqueued
