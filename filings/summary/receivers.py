"""Receivers of the hub's and the clearance pipeline's signals: each only enqueues a task.

- ``documents_declared`` (hub, after commit): a declared CEB701 汇总申请单 among the documents
  → ``summary_apply_process`` for it (CEB701 are few: one task per request);
- ``list_state_changed`` to released (清单放行, after commit) → ``exemption_register_fill`` for
  the lists, in batches of ``REGISTER_BATCH`` ids (never one task per list).

A broker that cannot be reached is logged, not raised into the request that committed: the
monthly job fills the register and summarises whatever was missed.
"""

from __future__ import annotations

import logging

from filings.models import Declaration

logger = logging.getLogger("filings.summary")

APPLY_KIND = "CEB701"
REGISTER_BATCH = 5000


def on_documents_declared(sender=None, *, declaration_ids=(), kinds=None, **_kwargs) -> None:
    if kinds is not None:  # the hub says each document's kind: no query for the orders of a bulk
        declaration_ids = [pk for pk in declaration_ids if kinds.get(pk) == APPLY_KIND]
    if not declaration_ids:
        return
    from .tasks import summary_apply_process

    ids = list(Declaration.objects.filter(pk__in=list(declaration_ids), kind=APPLY_KIND, app_status="2",
                                          deleted=False).values_list("pk", flat=True))
    for pk in ids:
        try:
            summary_apply_process.delay(pk)
        except Exception:  # any broker error: see the module docstring
            logger.exception("could not enqueue the summary request %s", pk)


def on_list_state_changed(sender=None, *, declaration_ids=(), state="", **_kwargs) -> None:
    if state != Declaration.ListState.RELEASED or not declaration_ids:
        return
    from .tasks import exemption_register_fill

    ids = [int(i) for i in declaration_ids]
    for start in range(0, len(ids), REGISTER_BATCH):
        try:
            exemption_register_fill.delay(ids[start:start + REGISTER_BATCH])
        except Exception:  # any broker error: see the module docstring
            logger.exception("could not enqueue the register fill of %s released lists", len(ids))
            return
