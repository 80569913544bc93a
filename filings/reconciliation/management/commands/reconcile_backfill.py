"""Reconcile every set of documents already in the hub, range by range (a first run, a repair).

    manage.py reconcile_backfill            # here, one range after the other
    manage.py reconcile_backfill --celery   # one Celery task per range
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from filings.reconciliation import services, tasks


class Command(BaseCommand):
    help = "Reconcile every order number of the declaration hub in bounded ranges."

    def add_arguments(self, parser):
        parser.add_argument("--celery", action="store_true", help="send one Celery task per range")
        parser.add_argument("--size", type=int, default=None, help="orders per range (RECONCILIATION_BATCH_SIZE)")

    def handle(self, *args, celery=False, size=None, **options):
        ranges = services.order_no_ranges(size=size)
        if celery:
            for lo, hi in ranges:
                tasks.reconciliation_backfill_range.delay(lo=lo, hi=hi)
            self.stdout.write(f"sent {len(ranges)} range tasks")
            return
        started, total = time.monotonic(), 0
        for lo, hi in ranges:
            total += services.reconcile_backfill(lo=lo, hi=hi).results
        self.stdout.write(f"{total} results in {len(ranges)} ranges, {time.monotonic() - started:.1f} s")
