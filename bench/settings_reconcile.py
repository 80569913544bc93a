"""Settings of the reconciliation latency benchmark's gunicorn and Celery worker: the bench
settings, with the run's own Celery queue (so no other worker takes its tasks)."""

import os

from bench.settings_bench import *  # noqa: F403

CELERY_TASK_DEFAULT_QUEUE = os.environ.get("BENCH_CELERY_QUEUE", "celery")
CELERY_TASK_DEFAULT_EXCHANGE = CELERY_TASK_DEFAULT_QUEUE
CELERY_TASK_DEFAULT_ROUTING_KEY = CELERY_TASK_DEFAULT_QUEUE
RECONCILIATION_DRAIN_BUDGET = float(os.environ.get("RECONCILIATION_DRAIN_BUDGET", "60"))
