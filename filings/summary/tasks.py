"""Celery tasks of the export summary declaration. Thin: ids in, one service call.

Every task is ``acks_late`` and safe to repeat (a redelivered task finds its work done: the
month's lists already summarised, the CEB701 version already processed, the register rows
already written). ``summary_month_run`` is the monthly beat job (``CELERY_BEAT_SCHEDULE``
entry ``export-summary-monthly``); the others are sent by the receivers in ``receivers.py``.
"""

from __future__ import annotations

import logging
from datetime import date

from celery import shared_task
from django.conf import settings
from django.db import OperationalError

from . import services

logger = logging.getLogger("filings.summary")

# A month of a busy zone (a million lists) is summarised in about a minute here; leave room.
RUN_SOFT_LIMIT = getattr(settings, "SUMMARY_TASK_SOFT_TIME_LIMIT", 1500)
RUN_LIMIT = RUN_SOFT_LIMIT + 60


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=RUN_SOFT_LIMIT, time_limit=RUN_LIMIT,
             autoretry_for=(OperationalError,), retry_backoff=60, max_retries=3)
def summary_month_run(month: str | None = None) -> dict:
    """Summarise ``month`` (``YYYY-MM``; default: the previous month in the zone's time)."""
    run = services.summary_month_run(month=date.fromisoformat(f"{month}-01") if month else None)
    result = {"run": run.pk if run else None, "summaries": run.summary_count if run else 0,
              "lists": run.list_count if run else 0}
    logger.info("summary month run %s: %s", month or "previous month", result)
    return result


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=RUN_SOFT_LIMIT, time_limit=RUN_LIMIT,
             autoretry_for=(OperationalError,), retry_backoff=30, max_retries=3)
def summary_apply_process(declaration_id: int) -> dict:
    """Process one declared CEB701 汇总申请单."""
    run = services.summary_apply_process(declaration_id=declaration_id)
    return {"run": run.pk if run else None, "summaries": run.summary_count if run else 0}


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=120, time_limit=150,
             autoretry_for=(OperationalError,), retry_backoff=10, max_retries=5)
def exemption_register_fill(declaration_ids: list[int]) -> int:
    """Write the 无票免税 register rows of a batch of released lists."""
    return services.exemption_register_fill(declaration_ids=declaration_ids)
