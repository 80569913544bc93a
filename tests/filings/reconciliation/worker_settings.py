"""Settings of the Celery worker that ``test_worker_kill.py`` starts as a subprocess (and kills):
the platform's settings, with the test-only hooks the test passes in the environment — a slow
batch (``RECONCILIATION_TEST_BATCH_DELAY``), a small batch size, and the test's own queue."""

import os

from zone_portal.settings import *  # noqa: F403

RECONCILIATION_TEST_BATCH_DELAY = float(os.environ.get("RECONCILIATION_TEST_BATCH_DELAY", "0"))
RECONCILIATION_BATCH_SIZE = int(os.environ.get("RECONCILIATION_BATCH_SIZE", "5000"))
CELERY_TASK_DEFAULT_QUEUE = os.environ["TEST_WORKER_QUEUE"]
CELERY_TASK_DEFAULT_EXCHANGE = os.environ["TEST_WORKER_QUEUE"]
CELERY_TASK_DEFAULT_ROUTING_KEY = os.environ["TEST_WORKER_QUEUE"]
CELERY_CONTROL_EXCHANGE = os.environ["TEST_WORKER_QUEUE"]
