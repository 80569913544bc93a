"""Domain signals of enterprise filing, sent by the services after the transaction commits.

Receivers (the partner webhooks of a later issue, the declaration hub's cache) get
``sender=EnterpriseFiling`` and the keyword arguments ``filing`` and ``version`` (and ``review``
for ``enterprise_filing_decided``). A receiver runs after the commit, so it never sees a state that
was rolled back.
"""

from django.dispatch import Signal

enterprise_filing_submitted = Signal()
enterprise_filing_decided = Signal()
enterprise_filing_filed = Signal()
enterprise_filing_returned = Signal()
enterprise_filing_rejected = Signal()
enterprise_filing_revoked = Signal()
enterprise_filing_changed = Signal()


# --- the clearance pipeline (sent after commit) --------------------------------------------------
# Reconciliation results: ``declaration_ids`` of the inventory lists whose three documents and
# list now agree (``lists_reconciled``), and ``results`` ids of every order result written.
lists_reconciled = Signal()
reconciliation_results = Signal()
# An inventory list changed state (released, held, cancelled, returned …): ``declaration_ids``, ``state``.
list_state_changed = Signal()
