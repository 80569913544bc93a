"""Enterprise-filing transitions as platform events (``filing.*``), for the enterprise's webhooks
and its event feed (``zone_portal.events``).

The filing services send their signals after the commit; each receiver here publishes one event
to the filing's enterprise, in a transaction of its own. A failure to publish is logged and never
raised: the filing has already changed, and the caller must not see an error for it.
"""

from __future__ import annotations

import logging

from django.db import transaction

from zone_portal.events.services import publish

from . import signals
from .models import EnterpriseFiling

logger = logging.getLogger("filings.events")

EVENT_TYPES = {
    signals.enterprise_filing_submitted: "filing.submitted",
    signals.enterprise_filing_decided: "filing.decided",
    signals.enterprise_filing_filed: "filing.filed",
    signals.enterprise_filing_returned: "filing.returned",
    signals.enterprise_filing_rejected: "filing.rejected",
    signals.enterprise_filing_revoked: "filing.revoked",
    signals.enterprise_filing_changed: "filing.changed",
}


def filing_event_payload(*, filing: EnterpriseFiling, version=None, review=None) -> dict:
    """What a partner learns of a transition: the filing's state, the version concerned and, for a
    department's decision, that decision. Nothing personal."""
    payload = {
        "uscc": filing.organization.uscc,
        "filing_no": filing.filing_no,
        "status": filing.status,
        "version": version.number if version is not None else None,
        "version_status": version.status if version is not None else None,
    }
    if filing.status == EnterpriseFiling.Status.REVOKED:
        payload["revoke_reason"] = filing.revoke_reason
    if review is not None:
        payload |= {"department": review.department, "decision": review.decision, "reason": review.reason,
                    "fields_to_fix": list(review.fields_to_fix)}
    return payload


def _receiver(event_type: str):
    def receive(sender, *, filing, version=None, review=None, **kwargs) -> None:
        try:
            with transaction.atomic():
                publish(event_type, organization_ids=[filing.organization_id],
                        payload=filing_event_payload(filing=filing, version=version, review=review),
                        subject=filing.organization.uscc or "")
        except Exception:  # after the commit: log, never fail the request whose filing changed
            logger.exception("could not publish %s for filing %s", event_type, filing.pk)

    receive.__name__ = f"publish_{event_type.replace('.', '_')}"
    return receive


def connect() -> None:
    """Connect one receiver per filing signal (from ``FilingsConfig.ready()``)."""
    for signal, event_type in EVENT_TYPES.items():
        signal.connect(_receiver(event_type), sender=EnterpriseFiling, weak=False,
                       dispatch_uid=f"filings.events.{event_type}")
