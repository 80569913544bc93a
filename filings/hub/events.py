"""What the hub tells the rest of the platform after documents are stored.

- ``declaration.accepted`` / ``declaration.rejected`` events for the declarant and the parties
  named in the document, through the platform's event outbox (webhooks and the pull feed,
  ``zone_portal.events``), written in the same transaction as the documents, in bulk;
- the domain signal ``documents_declared`` after commit, with the accepted declaration ids, for
  receivers in this and higher apps (reconciliation listens to it).
"""

from __future__ import annotations

from django.db import transaction
from django.dispatch import Signal

# kwargs: declaration_ids (list[int]), organization_id, kinds ({declaration id: message kind}, so
# that a receiver interested in a few kinds needs no query for a thousand orders)
documents_declared = Signal()


def publish_outcomes(outcomes, *, organization_id: int) -> None:
    from zone_portal.events.services import publish_many

    events = []
    accepted_ids, kinds = [], {}
    for outcome in outcomes:
        if outcome.replayed:
            continue
        payload = {
            "kind": outcome.kind, "guid": outcome.guid, "returnStatus": outcome.status,
            "returnInfo": outcome.info, "keys": outcome.keys,
            "errors": [{"code": p.code, "field": p.field} for p in outcome.problems],
        }
        if outcome.accepted:
            accepted_ids.append(outcome.declaration_id)
            kinds[outcome.declaration_id] = outcome.kind
            events.append(("declaration.accepted", [organization_id], payload, f"{outcome.kind}:{outcome.guid}"))
        else:
            events.append(("declaration.rejected", [organization_id], payload, f"{outcome.kind}:{outcome.guid}"))
    if events:
        publish_many(events)
    if accepted_ids:
        transaction.on_commit(lambda: documents_declared.send(
            sender=None, declaration_ids=accepted_ids, organization_id=organization_id, kinds=kinds))
