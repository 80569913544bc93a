"""Receivers of the signals clearance reacts to; each only enqueues its task after the commit.

- ``filings.signals.lists_reconciled`` (reconciliation: the three documents and the list agree)
  → quota, tax and the release decision of those lists;
- ``filings.hub.events.documents_declared`` (the hub stored documents) → the cancellations,
  returns and departures among them.
"""

from __future__ import annotations

from django.db import transaction

from filings.hub.spec import KINDS, DocType
from filings.models import Declaration

from . import tasks

REQUEST_TYPES = (DocType.CANCEL, DocType.REFUND, DocType.DEPARTURE)


def on_lists_reconciled(sender, declaration_ids=(), **kwargs) -> None:
    ids = list(declaration_ids or ())
    if ids:
        transaction.on_commit(lambda: tasks.enqueue(tasks.clearance_lists_clear, ids))


def on_documents_declared(sender, declaration_ids=(), kinds=None, **kwargs) -> None:
    ids = list(declaration_ids or ())
    if kinds is not None:  # the hub says each document's kind: no query for the orders of a bulk
        ids = [pk for pk in ids if pk in kinds and KINDS[kinds[pk]].doc_type in REQUEST_TYPES]
    if not ids:
        return
    # One look-up by primary key: most declared documents are orders, payments and waybills.
    wanted = list(Declaration.objects.filter(pk__in=ids, doc_type__in=REQUEST_TYPES, app_status="2")
                  .values_list("pk", flat=True))
    if wanted:
        transaction.on_commit(lambda: tasks.enqueue(tasks.clearance_documents_process, wanted))
