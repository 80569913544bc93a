"""Beat runs the reconciliation sweep (every five minutes, docs/reconciliation.md): without it a
trade that waits for a document would never be reported incomplete, a dead worker's claim never
released, and a document the after-commit path missed never reconciled. Found on ``make run``:
the schedule had no entry for it, so the demo's waiting trades stayed pending for good."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from filings.models import Declaration
from filings.reconciliation.models import ReconciliationResult
from tests.filings.reconciliation.conftest import import_order, import_payment, result_of
from zone_portal.celery import app

pytestmark = pytest.mark.django_db
SWEEP = "filings.reconciliation.tasks.reconciliation_sweep"


def scheduled(task_name: str) -> dict:
    entries = [e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == task_name]
    assert len(entries) == 1, f"{task_name} is not (or twice) in CELERY_BEAT_SCHEDULE"
    return entries[0]


def test_every_scheduled_task_exists():
    app.loader.import_default_modules()
    missing = [e["task"] for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] not in app.tasks]
    assert not missing, f"beat would send tasks no worker knows: {missing}"


def test_beat_runs_the_sweep_every_five_minutes():
    assert scheduled(SWEEP)["schedule"] == 300.0


def test_the_scheduled_sweep_reports_a_waiting_trade_incomplete(cast, declare, reconcile_now, no_drain_tasks):
    declare(import_order(cast))
    declare(import_payment(cast))
    reconcile_now()
    assert result_of().status == ReconciliationResult.Status.PENDING
    Declaration.objects.update(declared_at=timezone.now() - timedelta(hours=25))
    ReconciliationResult.objects.update(since=timezone.now() - timedelta(hours=25))

    app.loader.import_default_modules()
    assert app.tasks[scheduled(SWEEP)["task"]].apply().get()["overdue"] == 1  # what beat sends
    reconcile_now()
    result = result_of()
    assert result.status == ReconciliationResult.Status.INCOMPLETE and result.missing == ["waybill"]
